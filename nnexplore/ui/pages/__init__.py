"""The dashboard's pages. Each module has a ``render_*`` function and ``page()``, its st.Page,
except two that hold parts: ``panels`` (shown by Theory and Experiments) and ``theory_content``
(the Theory page's body, imported when first drawn: it computes with torch).

dashboard.py lists the pages in its navigation; a page that links to another
imports that page's module (the Experiments page links to the Playground),
never the other way round, so no two pages import each other.
"""
