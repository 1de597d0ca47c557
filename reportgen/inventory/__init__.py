"""Reading a customer's service inventory (.xlsx or .csv) and resolving it to catalog services."""
