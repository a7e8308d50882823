#!/usr/bin/env python3
"""Ask a Kafka broker for metadata and exit 0 if it answers with at least one broker.

Used by scripts/kafka to decide that a freshly started broker is ready. It speaks the
wire protocol directly (MetadataRequest v0) so that no client library or JVM start-up
is needed for each probe.

usage: kafka-probe.py HOST PORT [TIMEOUT_SECONDS]
"""
import socket
import struct
import sys


def read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def probe(host: str, port: int, timeout: float) -> int:
    client_id = b"brook-probe"
    correlation_id = 7
    # api_key=3 (Metadata), api_version=0, correlation id, client id, empty topic list.
    body = struct.pack(">hhih", 3, 0, correlation_id, len(client_id)) + client_id
    body += struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", read_exact(sock, 4))
        payload = read_exact(sock, size)
    got_id, brokers = struct.unpack(">ii", payload[:8])
    if got_id != correlation_id:
        raise ValueError(f"unexpected correlation id {got_id}")
    return brokers


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    try:
        brokers = probe(sys.argv[1], int(sys.argv[2]), timeout)
    except (OSError, ValueError, ConnectionError, struct.error) as err:
        print(f"no metadata from {sys.argv[1]}:{sys.argv[2]}: {err}", file=sys.stderr)
        return 1
    if brokers < 1:
        print("broker answered but lists no brokers yet", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
