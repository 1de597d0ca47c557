"""`reportgen inventory pull`: a snapshot of the estate, read live from AWS (boto3, the
optional ``reportgen[aws]`` extra) and written as CSV plus a JSON sidecar for `build`."""
