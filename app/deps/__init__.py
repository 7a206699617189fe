"""FastAPI dependencies: the shared ones in `common`, each domain's row loaders in a module of its own."""
