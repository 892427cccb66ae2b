#!/usr/bin/env python3
"""Extracts the §6 WSDL and the §7.1–§7.8 schemas of [MS-IPAMM2] from the spec markdown
into crates/ipam-soap/wsdl/. The spec text separates every line by a blank line; those
are dropped. Usage: extract-wsdl-xsd.py [path/to/MS-IPAMM2.md]"""
import os, re, sys

spec = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/spec/MS-IPAMM2.md"
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "wsdl")
lines = open(spec, encoding="utf-8").read().split("\n")

def section(start_pat, stop_pat):
    start = next(i for i, l in enumerate(lines) if re.match(start_pat, l))
    stop = next(i for i in range(start + 1, len(lines)) if re.match(stop_pat, lines[i]))
    body = [l for l in lines[start + 1:stop] if l.strip() and not l.startswith("<a id=") and not l.startswith("#")]
    # Keep only the XML: from the declaration to the end of the root element.
    first = next(i for i, l in enumerate(body) if l.startswith("<?xml"))
    return "\n".join(body[first:]) + "\n"

files = {
    "MS-IPAMM2.wsdl": (r"^# 6 Appendix A", r"^# 7 Appendix B"),
    "Microsoft.Windows.Ipam.xsd": (r"^## 7\.1 ", r"^## 7\.2 "),
    "Microsoft.Windows.Ipam1.xsd": (r"^## 7\.2 ", r"^## 7\.3 "),
    "schemas.microsoft.com.2003.10.Serialization.Arrays.xsd": (r"^## 7\.3 ", r"^## 7\.4 "),
    "schemas.microsoft.com.2003.10.Serialization.xsd": (r"^## 7\.4 ", r"^## 7\.5 "),
    "System.Collections.Generic.xsd": (r"^## 7\.5 ", r"^## 7\.6 "),
    "System.Net.Sockets.xsd": (r"^## 7\.6 ", r"^## 7\.7 "),
    "System.Net.xsd": (r"^## 7\.7 ", r"^## 7\.8 "),
    "System.xsd": (r"^## 7\.8 ", r"^# 8 "),
}
os.makedirs(out, exist_ok=True)
for name, (a, b) in files.items():
    text = section(a, b)
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(text)
    print(name, len(text))
