"""Developer tools beside the product: benchmarks, the load test, loopback servers.

Nothing in ``nnexplore/`` imports this package; it needs the dev requirements
(Playwright) and, for the browser tools, Debian's chromium.

    python -m devtools.bench [--quick] [--dashboard]
    python -m devtools.loadtest [--sessions 30] [--mnist 5] [--slots 1]
"""
