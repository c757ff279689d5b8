"""The desk dashboard: a Streamlit app over the published file only (``make dashboard``)."""
