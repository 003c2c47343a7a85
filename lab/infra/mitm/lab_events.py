"""
mitmproxy addon for MultiClaw Lab: one JSON line per event on stdout, so the harness can see
what a DPI box saw without ever writing a secret down. Credentials are never printed: an event
says whether one was present and carries its SHA-256, so a test can prove that a known
credential did (or did not) reach the box in plaintext.

Events: mitm.client_connected, mitm.tls_established / mitm.tls_failed (side client|server,
with the error text), mitm.request, mitm.ws_message (a config sync frame with how each agent's
key travelled), mitm.ws_end. Runs on mitmproxy 8.
"""

import hashlib
import json
import re
import sys

# Shapes of the lab's secrets (same list as kit's logger): MultiClaw long-lived credentials,
# JWTs (WSS tokens), LLM provider keys.
TOKEN_PATTERNS = [
    ("multiclaw", re.compile(rb"mc[bgi]_[A-Za-z0-9_-]{8,}")),
    ("jwt", re.compile(rb"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")),
    ("llm_key", re.compile(rb"sk-[A-Za-z0-9_-]{8,}")),
]


def sha256(data):
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def tokens_in(*blobs):
    """[{kind, sha256}] of every token-looking value in the given bytes/strings."""
    found = []
    for blob in blobs:
        if blob is None:
            continue
        if isinstance(blob, str):
            blob = blob.encode()
        for kind, pattern in TOKEN_PATTERNS:
            for match in pattern.finditer(blob):
                found.append({"kind": kind, "sha256": sha256(match.group(0))})
    return found


def config_sync_summary(content):
    """For a config sync frame (cloud -> instance): per agent, whether its key value is sealed
    (`enc:`) and the value's SHA-256, so a test can tell how the key travelled without the value
    being written down. None for any other message."""
    try:
        frame = json.loads(content)
    except ValueError:
        return None
    if not isinstance(frame, dict) or frame.get("type") != "config.sync":
        return None
    agents = []
    for agent in frame.get("agents") or []:
        key = agent.get("apiKey")
        agents.append(
            {
                "id": agent.get("id"),
                "key": None if key is None else {"sealed": str(key).startswith("enc:"), "sha256": sha256(str(key))},
            }
        )
    return {"instanceId": frame.get("instanceId"), "agents": agents}


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def peer(conn):
    address = getattr(conn, "peername", None) or getattr(conn, "address", None)
    return f"{address[0]}:{address[1]}" if address else None


def tls_fields(data):
    conn = data.conn
    return {
        "sni": conn.sni,
        "client": peer(data.context.client),
        "server": peer(data.context.server) if data.context.server else None,
    }


class LabEvents:
    def client_connected(self, client):
        emit("mitm.client_connected", client=peer(client))

    def tls_established_client(self, data):
        emit("mitm.tls_established", side="client", tlsVersion=data.conn.tls_version, **tls_fields(data))

    def tls_failed_client(self, data):
        # e.g. the client refused our certificate: "Client TLS handshake failed. The client does
        # not trust the proxy's certificate for api.multiclaw.test (tlsv1 alert unknown ca)"
        emit("mitm.tls_failed", side="client", error=data.conn.error, **tls_fields(data))

    def tls_established_server(self, data):
        emit("mitm.tls_established", side="server", tlsVersion=data.conn.tls_version, **tls_fields(data))

    def tls_failed_server(self, data):
        emit("mitm.tls_failed", side="server", error=data.conn.error, **tls_fields(data))

    def request(self, flow):
        req = flow.request
        auth = req.headers.get("authorization")
        credential = auth.split(" ", 1)[1] if auth and " " in auth else auth
        header_blob = "\n".join(f"{k}: {v}" for k, v in req.headers.items(multi=True))
        emit(
            "mitm.request",
            method=req.method,
            scheme=req.scheme,
            host=req.pretty_host,
            port=req.port,
            path=req.path.split("?", 1)[0],
            hasQuery="?" in req.path,
            hasAuthorization=auth is not None,
            authorizationSha256=sha256(auth) if auth else None,
            credentialSha256=sha256(credential) if credential else None,
            tokens=tokens_in(req.path, header_blob, req.raw_content),
            bodyLength=len(req.raw_content or b""),
            client=peer(flow.client_conn),
        )

    def websocket_message(self, flow):
        message = flow.websocket.messages[-1]
        emit(
            "mitm.ws_message",
            host=flow.request.pretty_host,
            path=flow.request.path.split("?", 1)[0],
            direction="client->server" if message.from_client else "server->client",
            type="text" if message.is_text else "binary",
            length=len(message.content),
            sha256=sha256(message.content),
            tokens=tokens_in(message.content),
            configSync=config_sync_summary(message.content) if message.is_text else None,
        )

    def websocket_end(self, flow):
        ws = flow.websocket
        emit("mitm.ws_end", host=flow.request.pretty_host, closeCode=ws.close_code, closedByClient=ws.closed_by_client)


addons = [LabEvents()]
