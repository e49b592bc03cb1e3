#!/usr/bin/env python3
"""Adds the Content-Security-Policy meta tag to a built index.html.

Only the site itself may serve scripts, styles, images and connections, plus 'wasm-unsafe-eval'
(WebAssembly compilation). Trunk's loader is an inline module script, so its SHA-256 is allowed by
hash — computed here, after the build, because its text names the hashed asset files.
"""
import base64
import hashlib
import re
import sys

path = sys.argv[1]
html = open(path, encoding="utf-8").read()
if 'http-equiv="Content-Security-Policy"' in html:
    sys.exit(f"inject_csp: {path} already has a Content-Security-Policy")
inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
hashes = " ".join(
    "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'" for s in inline
)
policy = (
    "default-src 'self'; "
    f"script-src 'self' 'wasm-unsafe-eval' {hashes}; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'none'"
)
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}" />'
html, n = re.subn(r"(<head[^>]*>)", r"\1\n    " + meta.replace("\\", "\\\\"), html, count=1)
if n != 1:
    sys.exit(f"inject_csp: no <head> in {path}")
open(path, "w", encoding="utf-8").write(html)
print(f"inject_csp: {len(inline)} inline script(s) allowed by hash", file=sys.stderr)
