"""The config file: its model, and the starter config `reportgen init` writes."""
