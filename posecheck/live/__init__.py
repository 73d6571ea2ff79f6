"""The live page's frame worker (no Streamlit inside)."""
