"""The Chainlit chat's logic: settings panel, photo intake, artifact rendering, streaming a turn.

`chainlit_app.py` at the repository root only wires Chainlit callbacks to the functions here.
`artifacts.py` is pure (no Chainlit import) so the rendering rules are testable on their own.
"""
