"""Where rendered media go: the store protocol, the local-directory and S3 stores,
content-addressed naming and the factory that picks a store from the settings.

May import ``daemon.runtime`` only.
"""
