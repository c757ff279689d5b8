"""The desk dashboard: `make dashboard`, or `streamlit run dashboard/app.py`.

It reads only the published file (PUBLISHED_DIR moves it), never the working warehouse.
Every run of the script (each click) opens the current publication afresh, read-only, and
closes it at the end: a refresh that swaps in a new file is picked up by the next click,
and a reader never holds an old file open longer than one run."""

import streamlit as st

from dashboard import queries, views
from orchestration.publish.publication import open_published
from orchestration.settings import published_dir

st.set_page_config(page_title="Chongqing foreign trade · 重庆外贸", layout="wide")
st.title("Chongqing foreign trade · 重庆外贸")

try:
    con = open_published(published_dir())
except FileNotFoundError as missing:
    st.error(f"{missing}. Run `make run` (or wait for the first refresh) to publish the marts.")
    st.stop()

with con:
    views.publication_banner(queries.publication_state(con))
    period = views.period_picker(queries.periods(con))
    flow = views.flow_picker()
    screen = views.Screen(con)
    tabs = dict(zip(views.TABS, st.tabs(views.TABS)))
    with tabs["Headline"]:
        views.headline(screen, period)
    with tabs["Trend"]:
        views.trend(screen, flow)
    with tabs["Partners"]:
        views.partners(screen, period, flow)
    with tabs["Commodities"]:
        views.commodities(screen, period)
    with tabs["Corridor"]:
        views.corridor(screen, period)
    with tabs["Reconciliation"]:
        views.reconciliation(screen, period)
    with tabs["Sources"]:
        views.sources(screen)
