"""FastAPI dependencies: the shared ones in `common`; each domain's row loaders, written once
for its pages and its API, in a module of its own."""
