"""pynettcp peer for ipamd's net.tcp listener ([MS-IPAMM2] §2.1, §3.19, §3.21).

Usage: python client.py URL binary|text OPERATION ARGS...  (the operations of
../mono/IpamClient.cs: create, add, remove, delete, bad) and
       python client.py URL binary pipelined NAME SERVER1 SERVER2 SCOPES
which writes the preamble, Preamble End and the first envelope in ONE send()
on a raw socket, then finishes the CreateDhcpFailover session.

Binary sessions (Known Encoding 0x08) use pynettcp's framing, MC-NBFSE codec and
binary XML writer; text sessions (0x03) use its framing with UTF-8 XML. Exits
non-zero on any deviation.
"""

from __future__ import annotations

import socket
import sys
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

from pynettcp import events_to_element
from pynettcp.framing import FramingConnection, KnownEncoding, connect
from pynettcp.nbfs import SessionCodec
from pynettcp.varint import encode_multibyte_int31

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
IPAM = "http://Microsoft.Windows.Ipam"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ARR = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
NET = "http://schemas.datacontract.org/2004/07/System.Net"
ACTION = IPAM + "/IIpamOperationWithProgress/"
ANONYMOUS = WSA + "/anonymous"
NS = {"s": SOAP, "i": XSI, "arr": ARR, "net": NET, "a": WSA}

EXPECTED = {
    "create": ["StartProgressCallback", "AddSubTask", "SetSubTaskStatus", "SetCompletionPercentage",
               "AddSubTask", "SetSubTaskStatus", "SetSubTaskStatus", "SetCompletionPercentage",
               "SetOverallStatus"],
    "add": ["StartProgressCallback", "AddSubTask", "SetCompletionPercentage", "SetSubTaskStatus",
            "SetCompletionPercentage", "SetOverallStatus"],
    "remove": None,  # one sub-task per scope: checked by its ends
    "delete": ["StartProgressCallback", "AddSubTask", "SetSubTaskStatus", "SetSubTaskStatus",
               "SetCompletionPercentage", "SetOverallStatus"],
}


class Fail(Exception):
    pass


# A tiny element tree: (prefix, name, attrs [(prefix, name, value)], xmlns {prefix: uri},
# children list | text str). Prefix "" = default namespace (IPAM in bodies).
def el(prefix, name, content=None, attrs=(), xmlns=None):
    return (prefix, name, list(attrs), dict(xmlns or {}), content)


def to_text(node) -> str:
    prefix, name, attrs, xmlns, content = node
    q = f"{prefix}:{name}" if prefix else name
    out = [f"<{q}"]
    for p, u in xmlns.items():
        out.append(f' xmlns:{p}="{u}"' if p else f' xmlns="{u}"')
    for ap, an, av in attrs:
        out.append(f' {ap}:{an}="{esc(av)}"' if ap else f' {an}="{esc(av)}"')
    if content is None:
        out.append("/>")
        return "".join(out)
    out.append(">")
    if isinstance(content, str):
        out.append(esc(content))
    else:
        out.extend(to_text(c) for c in content)
    out.append(f"</{q}>")
    return "".join(out)


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def to_binary(w, node) -> None:
    prefix, name, attrs, xmlns, content = node
    w.start_element(prefix, name)
    for p, u in xmlns.items():
        w.xmlns(p, u)
    for ap, an, av in attrs:
        w.attribute(ap, an, av)
    if isinstance(content, str):
        w.write_string(content)
    elif content:
        for c in content:
            to_binary(w, c)
    w.end_element()


def envelope(action: str, message_id: str, to: str, body) -> tuple:
    header = el("s", "Header", [
        el("a", "Action", action, attrs=[("s", "mustUnderstand", "1")]),
        el("a", "MessageID", message_id),
        el("a", "ReplyTo", [el("a", "Address", ANONYMOUS)]),
        el("a", "To", to, attrs=[("s", "mustUnderstand", "1")]),
    ])
    return el("s", "Envelope", [header, el("s", "Body", [body])], xmlns={"s": SOAP, "a": WSA})


def ip(prefix_name: str, dotted: str):
    a, b, c, d = (int(x) for x in dotted.split("."))
    value = a | b << 8 | c << 16 | d << 24  # m_Address is little-endian (§4.2)
    return el("", prefix_name, [
        el("net", "m_Address", str(value)),
        el("net", "m_Family", "InterNetwork"),
        el("net", "m_HashCode", "0"),
        el("net", "m_Numbers", [el("arr", "unsignedShort", "0") for _ in range(8)], xmlns={"arr": ARR}),
        el("net", "m_ScopeId", "0"),
    ], xmlns={"net": NET})


def failover(record_id: int, name: str, s1: int, s2: int):
    """DhcpFailover (§2.2.4.106) in DataContract order: BaseIpamObject members first."""
    nil = [("i", "nil", "true")]
    return el("", "Failover", [
        el("", "ModifiedProperties", attrs=nil),
        el("", "SetProperties", attrs=nil),
        el("", "AutoStateTransition", "true"),
        el("", "MCLT", "PT1H"),
        el("", "Mode", "LoadBalance"),
        el("", "OperationTracker", attrs=nil),
        el("", "RecordId", str(record_id)),
        el("", "RelationshipName", name),
        ip("Server1IP", "10.0.0.1"),
        el("", "Server1Name", "dhcp1.test"),
        el("", "Server1PSName", "dhcp1.test"),
        el("", "Server1Percentage", "50"),
        el("", "Server1RecordId", str(s1)),
        el("", "Server1State", "Normal"),
        ip("Server2IP", "10.0.0.2"),
        el("", "Server2Name", "dhcp2.test"),
        el("", "Server2PSName", "dhcp2.test"),
        el("", "Server2RecordId", str(s2)),
        el("", "Server2State", "Normal"),
        el("", "ServerOwner", "ServerOne"),
        el("", "SharedSecret", "czNjcmV0"),
        el("", "SharedSecretEnabled", "true"),
        el("", "StateSwitchInterval", "PT10M"),
    ])


def scope_ids(csv: str):
    return el("", "ScopeIds", [el("arr", "long", x) for x in csv.split(",") if x], xmlns={"arr": ARR})


def paramters(op: str, args: list[str]):
    """The InitializeOperationParameters body (§3.19.4.3), `paramters` with its i:type."""
    if op in ("create", "bad", "pipelined"):
        name, s1, s2 = args[0], int(args[1]), int(args[2])
        scopes = "999999999" if op == "bad" else args[3]
        t, members = "DhcpFailoverWithScopesParameters", [
            el("", "OperationId", "CreateDhcpFailover"), failover(0, name, s1, s2), scope_ids(scopes)]
    elif op == "add":
        t, members = "DhcpFailoverWithScopesParameters", [
            el("", "OperationId", "AddDhcpFailoverScopes"),
            failover(int(args[0]), args[1], int(args[2]), int(args[3])), scope_ids(args[4])]
    elif op == "remove":
        t, members = "DhcpFailoverRemoveScopesParameters", [
            el("", "OperationId", "RemoveDhcpFailoverScopes"), el("", "Force", "false"), scope_ids(args[0])]
    elif op == "delete":
        t, members = "DhcpFailoverDeleteParameters", [
            el("", "OperationId", "DeleteDhcpFailover"),
            failover(int(args[0]), args[1], int(args[2]), int(args[3])), el("", "Force", "false")]
    else:
        raise Fail(f"unknown operation {op}")
    p = el("", "paramters", members, attrs=[("i", "type", t)], xmlns={"i": XSI})
    return el("", "InitializeOperationParameters", [p], xmlns={"": IPAM})


class Session:
    """One IIpamOperationWithProgress session over pynettcp's MC-NMF framing."""

    def __init__(self, url: str, encoding: str, connection=None):
        self.url = url
        self.binary = encoding == "binary"
        if connection is None:
            enc = KnownEncoding.BINARY_SESSION if self.binary else KnownEncoding.SOAP12_UTF8
            connection = connect(url, timeout=30, encoding=enc)
        self.conn = connection
        self.codec = SessionCodec(2048)

    def payload(self, node) -> bytes:
        if self.binary:
            return self.codec.encode(lambda w: to_binary(w, node))
        return b"\xef\xbb\xbf" + to_text(node).encode("utf-8")

    def request(self, action: str, body) -> str:
        message_id = f"urn:uuid:{uuid.uuid4()}"
        self.conn.send_envelope(self.payload(envelope(ACTION + action, message_id, self.url, body)))
        return message_id

    def receive(self) -> ET.Element:
        payload = self.conn.read_envelope()
        if payload is None:
            raise Fail("the server ended the session while a reply was expected")
        if self.binary:
            return events_to_element(self.codec.decode(payload))
        return ET.fromstring(payload.decode("utf-8-sig"))

    def reply(self, message_id: str):
        """Callbacks (printed) until the reply; returns (callback names, overall, reply)."""
        names, overall = [], None
        while True:
            env = self.receive()
            action = env.findtext("s:Header/a:Action", namespaces=NS)
            relates = env.findtext("s:Header/a:RelatesTo", namespaces=NS)
            body = env.find("s:Body", NS)[0]
            local = body.tag.split("}")[1]
            if local == "Fault":
                exc = body.findtext(".//{%s}ExceptionId" % IPAM)
                check(relates == message_id, f"fault RelatesTo {relates} != {message_id}")
                print(f"  fault ExceptionId={exc}")
                return names, overall, ("fault", exc)
            if action.endswith("Response"):
                check(relates == message_id, f"RelatesTo {relates} != {message_id}")
                print(f"  {local}")
                return names, overall, ("response", local)
            detail = ""
            if local == "SetOverallStatus":
                overall = body.findtext("{%s}overallStatus" % IPAM)
                detail = " " + overall
            elif local == "SetCompletionPercentage":
                detail = f" {body.findtext('{%s}completionPercentage' % IPAM)}%"
            elif local in ("AddSubTask", "SetSubTaskStatus"):
                detail = f" #{body.findtext('{%s}subTaskInstance/{%s}SubTaskInstanceId' % (IPAM, IPAM))}"
                if local == "SetSubTaskStatus":
                    detail += " " + (body.findtext("{%s}status" % IPAM) or "")
            print(f"  callback {local}{detail}")
            names.append(local)

    def operation(self, op: str, args: list[str], first_id: str | None = None) -> None:
        if first_id is None:
            first_id = self.request("InitializeOperationParameters", paramters(op, args))
        names, _, reply = self.reply(first_id)
        check(not names, f"callbacks before the InitializeOperationParameters reply: {names}")
        check(reply == ("response", "InitializeOperationParametersResponse"), f"initialize: {reply}")
        start_id = self.request("StartOperationWithCallback", el("", "StartOperationWithCallback", xmlns={"": IPAM}))
        names, overall, reply = self.reply(start_id)
        if op == "bad":
            check(reply == ("fault", "IpamApiDhcpScopeNotFoundInDB"), f"expected the IpamException fault, got {reply}")
            check(overall == "CompletedWithFailure", f"overall status {overall}")
        else:
            check(reply == ("response", "StartOperationWithCallbackResponse"), f"start: {reply}")
            expected = EXPECTED["create" if op == "pipelined" else op]
            if expected is None:
                check(names[0] == "StartProgressCallback" and names[-1] == "SetOverallStatus", f"callbacks {names}")
            else:
                check(names == expected, f"callbacks {names}")
            check(overall == "CompletedWithSuccess", f"overall status {overall}")

    def close(self) -> None:
        self.conn.send_end()
        check(self.conn.read_envelope() is None, "expected the server's End record")
        self.conn.stream.close()


def check(ok: bool, what: str) -> None:
    if not ok:
        raise Fail(what)


def pipelined(url: str, args: list[str]) -> None:
    """Preamble + Preamble End + first envelope in ONE write on a raw socket (WCF pipelines
    its first request behind the preamble; [MC-NMF] §3.1.4)."""
    u = urlparse(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=30)
    conn = FramingConnection(sock.makefile("rwb"), url, encoding=KnownEncoding.BINARY_SESSION)
    session = Session(url, "binary", connection=conn)
    message_id = f"urn:uuid:{uuid.uuid4()}"
    first = session.payload(
        envelope(ACTION + "InitializeOperationParameters", message_id, url, paramters("pipelined", args)))
    segment = conn.preamble_bytes() + bytes([0x06]) + encode_multibyte_int31(len(first)) + first
    sock.sendall(segment)
    # The Preamble Ack is read lazily by the first read_envelope().
    session.operation("pipelined", args, first_id=message_id)
    session.close()


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, encoding, op, args = argv[0], argv[1], argv[2], argv[3:]
    print(f"{op} {' '.join(args)} over {encoding} (pynettcp)")
    try:
        if op == "pipelined":
            pipelined(url, args)
        else:
            session = Session(url, encoding)
            session.operation(op, args)
            session.close()
    except Exception as e:  # noqa: BLE001 - any deviation fails the run
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"OK {op} over {encoding}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
