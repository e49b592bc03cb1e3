#!/usr/bin/env python3
"""Serves a built site the way GitHub Pages serves a project site.

    pages_server.py <dir> <prefix> <port>       e.g. target/pages /playground/ 8000

Files under <dir> are served at <prefix>; a directory serves its index.html; anything else under
the prefix gets <dir>/404.html with status 404 (how a single-page app's deep links load there).
Python's http.server alone ignores 404.html, hence this handler.
"""
import http.server
import os
import sys
import urllib.parse

root, prefix, port = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3])


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def log_message(self, fmt, *args):
        if os.environ.get("PAGES_SERVER_LOG"):
            super().log_message(fmt, *args)

    def send_404(self):
        body = open(os.path.join(root, "404.html"), "rb").read()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def resolve(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == prefix.rstrip("/"):
            return "redirect"
        if not path.startswith(prefix):
            return None
        rel = urllib.parse.unquote(path[len(prefix):])
        full = os.path.normpath(os.path.join(root, rel))
        if not (full == root or full.startswith(root + os.sep)):
            return None
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        return full if os.path.isfile(full) else None

    def do_GET(self):
        target = self.resolve()
        if target == "redirect":
            self.send_response(301)
            self.send_header("Location", prefix)
            self.end_headers()
            return
        if target is None:
            return self.send_404()
        self.path = "/" + os.path.relpath(target, root)
        return super().do_GET()

    do_HEAD = do_GET


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
