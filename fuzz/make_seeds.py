#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into <dir>/<target>/seed-*: real inputs of
each parser and hostile ones (deep nesting, extreme numbers, huge tokens, broken UTF-8, NUL
and garbage after a valid value, empty input).

    fuzz/make_seeds.py <dir>

scripts/run-fuzz writes them into its work directory before each run, so that the repository
holds the recipe (a few KB) rather than the seeds (3 MB of mostly brackets). Inputs that
once broke a harness are committed in fuzz/corpus/<target>/regression-* and are added to
the seeds by scripts/run-fuzz."""

import json
import os
import struct
import sys

if len(sys.argv) != 2:
    sys.exit("usage: make_seeds.py <output directory>")
ROOT = sys.argv[1]
INT64_MAX = 9223372036854775807
DEEP = 100_000  # nesting levels of the deep seeds


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(directory, "seed-" + name), "wb") as f:
        f.write(data)


def deep_array(levels):
    return b"[" * levels + b"1" + b"]" * levels


def json_family(target, prefix, valid):
    """Hostile variants of a valid JSON object `valid` (a dict), with `prefix` bytes first."""
    text = json.dumps(valid).encode()
    write(target, "valid", prefix + text)
    write(target, "empty", prefix)
    write(target, "null", prefix + b"null")
    write(target, "array", prefix + b"[]")
    write(target, "empty-object", prefix + b"{}")
    write(target, "whitespace", prefix + b" \t\r\n ")
    write(target, "unterminated", prefix + text[:-1])
    write(target, "bom", prefix + b"\xef\xbb\xbf" + text)
    write(target, "nul-then-garbage", prefix + text + b"\x00garbage}{\xff")
    write(target, "trailing-garbage", prefix + text + b" x")
    deep = dict(valid)
    deep_text = json.dumps(deep).encode()
    # "tags" (or an extra field) nested DEEP levels: 100,000 levels of arrays in an object.
    write(target, "deep-nesting-field",
          prefix + deep_text[:-1] + b', "tags": {"a": ' + deep_array(DEEP) + b"}}")
    write(target, "deep-nesting-top", prefix + deep_array(DEEP))
    invalid_utf8 = text.replace(b'"', b'"\xff\xfe', 1)
    write(target, "invalid-utf8", prefix + invalid_utf8)
    write(target, "overlong-utf8", prefix + text.replace(b'"', b'"\xc0\xaf', 1))
    write(target, "lone-surrogate-escape", prefix + text.replace(b'"', b'"\\ud800', 1))
    huge = dict(valid)
    first_key = next(iter(huge))
    huge[first_key] = "a" * 100_000
    write(target, "huge-token", prefix + json.dumps(huge).encode())
    write(target, "huge-number", prefix + text[:-1] + b', "n": ' + b"9" * 20_000 + b"}")
    write(target, "duplicate-keys", prefix + text[:-1] + b", " + text[1:])


def metric_parser():
    t = "metric_parser"
    valid = {"name": "cpu.load", "host": "web-1", "value": 0.75, "ts": 1700000000000,
             "unit": "percent", "tags": {"dc": "eu-west", "rack": 7}}
    json_family(t, b"", valid)
    write(t, "minimal", '{"name":"m","host":"h","value":1}')
    write(t, "unit-ms", '{"name":" Latency ","host":"h","value":250,"unit":"ms"}')
    write(t, "ts-int64-max", '{"name":"m","host":"h","value":1,"ts":%d}' % INT64_MAX)
    write(t, "ts-int64-max-plus-1", '{"name":"m","host":"h","value":1,"ts":%d}' % (INT64_MAX + 1))
    write(t, "ts-negative", '{"name":"m","host":"h","value":1,"ts":-1}')
    write(t, "ts-fraction", '{"name":"m","host":"h","value":1,"ts":1.5}')
    write(t, "value-1e308", '{"name":"m","host":"h","value":1e308}')
    write(t, "value-minus-1e308", '{"name":"m","host":"h","value":-1e308,"unit":"%"}')
    write(t, "value-1e999", '{"name":"m","host":"h","value":1e999}')
    write(t, "value-denormal", '{"name":"m","host":"h","value":5e-324}')
    write(t, "value-string", '{"name":"m","host":"h","value":"1"}')
    write(t, "blank-name", '{"name":" \\t","host":"h","value":1}')
    write(t, "tags-not-object", '{"name":"m","host":"h","value":1,"tags":[1]}')
    write(t, "unit-number", '{"name":"m","host":"h","value":1,"unit":5}')
    write(t, "name-with-pipes", '{"name":"a|b|c","host":"h|","value":1}')


def activity_parser():
    t = "activity_parser"
    user = {"event_id": "e-1", "user_id": "u-1", "event_type": "click", "ts": 1700000000000}
    order = {"event_id": "o-1", "user_id": "u-1", "order_id": "A-1", "amount_cents": 1999,
             "ts": 1700000000000}
    json_family(t, b"\x00", user)
    write(t, "order", b"\x01" + json.dumps(order).encode())
    for name, value in [("amount-int64-max", INT64_MAX), ("amount-int64-max-plus-1", INT64_MAX + 1),
                        ("amount-negative", -1), ("amount-1e308", 1e308)]:
        o = dict(order)
        o["amount_cents"] = value
        write(t, name, b"\x01" + json.dumps(o).encode())
    for name, value in [("ts-int64-max", INT64_MAX), ("ts-year-9999", 253402300799999),
                        ("ts-past-9999", 253402300800000), ("ts-negative", -1)]:
        u = dict(user)
        u["ts"] = value
        write(t, name, b"\x00" + json.dumps(u).encode())
    write(t, "no-ts", b"\x00" + json.dumps({k: v for k, v in user.items() if k != "ts"}).encode())
    write(t, "order-nul-then-garbage", b"\x01" + json.dumps(order).encode() + b"\x00\x01\x02")


def serdes():
    t = "serdes"
    def seed(name, which, data, null=False):
        write(t, name, bytes([which, 1 if null else 0]) + data)
    seed("int32-max", 0, struct.pack(">i", 2**31 - 1))
    seed("int32-short", 0, b"\x00\x01\x02")
    seed("int32-long", 0, b"\x00\x01\x02\x03\x04")
    seed("int32-null", 0, b"", null=True)
    seed("int64-max", 1, struct.pack(">q", INT64_MAX))
    seed("int64-min", 1, struct.pack(">q", -INT64_MAX - 1))
    seed("double-1e308", 2, struct.pack(">d", 1e308))
    seed("double-nan-payload", 2, b"\x7f\xf0\x00\x00\x00\x00\x00\x01")
    seed("double-minus-zero", 2, struct.pack(">d", -0.0))
    seed("string", 3, b"hello")
    seed("string-invalid-utf8", 3, b"\xff\xfe\xc0\xaf")
    seed("string-empty", 3, b"")
    seed("optional-string-null", 4, b"", null=True)
    seed("optional-int64", 5, struct.pack(">q", 7))
    seed("json", 6, b'{"a":[1,2.5,{"b":null}],"c":"\\u00e9"}')
    seed("json-1e308", 6, b"[1e308,-1e308,5e-324]")
    seed("json-1e999", 6, b"1e999")
    seed("json-big-int", 6, b"[9223372036854775807,18446744073709551615,18446744073709551616]")
    seed("json-deep-nesting", 6, deep_array(DEEP))
    seed("json-nul-then-garbage", 6, b'{"a":1}\x00garbage')
    seed("json-invalid-utf8", 6, b'"\xff"')
    seed("json-null", 6, b"", null=True)
    seed("optional-json-null", 7, b"", null=True)
    key = b"".join(struct.pack(">I", len(f)) + f for f in (b"web-1", b"cpu.load", b"ratio"))
    seed("metric-key", 8, key)
    seed("metric-key-cut", 8, key[:-1])
    seed("metric-key-huge-length", 8, b"\xff\xff\xff\xff" + key)
    seed("metric-key-extra", 8, key + b"x")
    seed("metric-stats", 9, struct.pack("<qddd", 3, 1e308, -1e308, 1e308))
    seed("metric-stats-short", 9, b"\x00" * 31)
    seed("activity", 10, b'{"kind":"order","event_id":"o","user_id":"u","event_type":"",'
                         b'"order_id":"A","amount_cents":9223372036854775807}')
    seed("activity-unknown-kind", 10, b'{"kind":"refund","event_id":"o","user_id":"u",'
                                      b'"event_type":"","order_id":"A","amount_cents":1}')
    seed("activity-totals", 11, b'{"events":1,"by_type":{"click":1},"orders":2,'
                                b'"order_total_cents":9223372036854775807}')
    seed("activity-totals-deep", 11, b'{"events":1,"by_type":' + deep_array(DEEP) + b"}")


PROPERTIES = (
    "# Kafka Streams style configuration\n"
    "! another comment\n"
    "application.id = word-count\n"
    "bootstrap.servers: localhost:9092\n"
    "processing.guarantee exactly_once_v2\n"
    "commit.interval.ms=100\n"
    "consumer.fetch.max.bytes = 1048576\n"
    "producer.linger.ms=5\n"
    "sasl.mechanism = PLAIN\n"
    "ssl.ca.location=/etc/ssl/certs/ca.pem\n"
    "state.dir = /var/lib/brook \\\n"
    "            /more\n"
    "unicode = \\u00e9\\uD83D\\uDE00 tab\\there\n"
)


def properties_file():
    t = "properties_file"
    write(t, "real", PROPERTIES)
    write(t, "crlf", PROPERTIES.replace("\n", "\r\n"))
    write(t, "cr-only", PROPERTIES.replace("\n", "\r"))
    write(t, "bom", b"\xef\xbb\xbf" + PROPERTIES.encode())
    write(t, "empty", b"")
    write(t, "thirty-thousand-dots", "." * 30_000 + "=1\n")
    write(t, "huge-token", "key=" + "v" * 100_000 + "\n")
    write(t, "lone-high-surrogate", "a=\\uD83D\n")
    write(t, "lone-low-surrogate", "a=\\uDE00x\n")
    write(t, "malformed-escape", "a=\\u12G4\n")
    write(t, "cut-escape", "a=\\u12")
    write(t, "trailing-backslash", "a=b\\")
    write(t, "many-backslashes", "a=" + "\\" * 10_001 + "\nb=" + "\\" * 10_000 + "\n")
    write(t, "nul-and-garbage", b"a=1\x00\xff\xfe=\x00\n\x00")
    write(t, "invalid-utf8", b"\xc0\xaf=\xff\xfe\n")
    write(t, "many-lines", "k=v\n" * 10_000)
    write(t, "continuations", "a=" + "x\\\n" * 5_000 + "end\n")


def streams_config():
    t = "streams_config"
    write(t, "real", PROPERTIES)
    write(t, "at-least-once", "application.id=app\nbootstrap.servers=b:9092\nnum.stream.threads=4\n")
    write(t, "thirty-thousand-dots", "." * 30_000 + "=1\n")
    write(t, "thirty-thousand-dots-override", "@" + "." * 30_000 + "=1")
    write(t, "typo", "comit.interval.ms=5\n")
    write(t, "prefix-typo", "consumr.fetch.max.bytes=1\n")
    write(t, "main-consumer", "main.consumer.fetch.max.bytes=1\n")
    write(t, "unprefixed-librdkafka", "session.timeout.ms=10000\n")
    write(t, "eos-timeouts", "processing.guarantee=exactly_once_v2\n"
                              "producer.transaction.timeout.ms=1000\nproducer.message.timeout.ms=0\n"
                              "commit.interval.ms=5000\n")
    write(t, "aliases", "producer.linger.ms=1\nproducer.queue.buffering.max.ms=2\n")
    write(t, "huge-value", "client.id=" + "c" * 100_000 + "\n")
    write(t, "int64-overflow", "num.stream.threads=9223372036854775808\npoll.ms=-1\n")
    write(t, "overrides", "@num.stream.threads=3\ncommit.interval.ms = 500\n=x\nnoequals")
    write(t, "secret", "sasl.password=hunter2\nssl.key.password=\xff\n")
    write(t, "dead-letter", "default.deserialization.exception.handler=dead_letter\n"
                             "errors.dead.letter.queue.topic.name=" + "t" * 300 + "\n")


def retry_headers():
    t = "retry_headers"
    base = ("attempt:2\nerror:timeout talking to payments\nfirst-failure-ts:1699999995000\n"
            "last-failure-ts:1699999999000\noriginal-topic:orders\noriginal-partition:3\n"
            "original-offset:42\noriginal-timestamp:1699999994000\nevent-type:order\n")
    write(t, "real", base + "due-ts:1700000002000\n")
    write(t, "attempt-int64-max", base + "attempt:%d\n" % INT64_MAX)
    write(t, "due-ts-int64-max", base + "due-ts:%d\n" % INT64_MAX)
    write(t, "due-ts-int64-min", "due-ts:%d\n" % (-INT64_MAX - 1))
    write(t, "due-ts-overflow", "due-ts:%d\n" % (INT64_MAX + 1))
    write(t, "due-ts-null", "due-ts\n")
    write(t, "due-ts-garbage", "due-ts: 17\n")
    write(t, "partition-int32-max-plus-1", "original-partition:2147483648\n")
    write(t, "negative", "attempt:-1\noriginal-offset:-5\n")
    write(t, "duplicates", "attempt:1\nattempt:x\nattempt:3\n")
    write(t, "empty", b"")
    write(t, "invalid-utf8", b"error:\xff\xfe\x00\nattempt:\x001\n")
    write(t, "huge-token", "error:" + "e" * 100_000 + "\n")


def http_request():
    t = "http_request"
    write(t, "get", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    write(t, "head", "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n")
    write(t, "pipelined", "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    write(t, "query", "GET /stores/a%2Fb/keys/k%20v?from=1&to=a+b&&=&x HTTP/1.1\r\n\r\n")
    write(t, "bad-percent", "GET /stores/%ZZ?q=%4 HTTP/1.1\r\n\r\n")
    write(t, "http10", "GET / HTTP/1.0\r\n\r\n")
    write(t, "post-body", "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    write(t, "absolute-form", "GET http://example.com/ HTTP/1.1\r\n\r\n")
    write(t, "asterisk", "OPTIONS * HTTP/1.1\r\n\r\n")
    write(t, "no-version", "GET /\r\n\r\n")
    write(t, "bad-version", "GET / HTTP/9.9\r\n\r\n")
    write(t, "double-spaces", "GET  /  HTTP/1.1\r\n\r\n")
    write(t, "nul-in-method", b"G\x00T / HTTP/1.1\r\n\r\n")
    write(t, "header-no-colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n")
    write(t, "header-obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n")
    write(t, "header-nul", b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n")
    write(t, "lf-only", "GET / HTTP/1.1\nHost: x\n\n")
    write(t, "oversized-header", "GET / HTTP/1.1\r\nX: " + "a" * 20_000 + "\r\n\r\n")
    write(t, "many-headers", "GET / HTTP/1.1\r\n" + "X: y\r\n" * 3_000 + "\r\n")
    write(t, "huge-target", "GET /" + "a" * 100_000 + " HTTP/1.1\r\n\r\n")
    write(t, "chunked-huge", "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "FFFFFFFFFFFFFFFF\r\n")
    write(t, "content-length-huge", "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n")
    write(t, "content-length-twice", "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
    write(t, "invalid-utf8-target", b"GET /\xff\xfe?\xc0=\xaf HTTP/1.1\r\n\r\n")
    write(t, "empty", b"")


def commit_metadata():
    t = "commit_metadata"
    write(t, "time", "brook1 t=1700000000000")
    write(t, "none", "brook1 t=-1")
    write(t, "watermark", "brook1 t=5 w=0/2=5,6i7~8~-1|3/1=?")
    write(t, "int64-max", "brook1 t=%d" % INT64_MAX)
    write(t, "int64-overflow", "brook1 t=%d" % (INT64_MAX + 1))
    write(t, "below-none", "brook1 t=-2")
    write(t, "empty-time", "brook1 t=")
    write(t, "other-field", "brook1 t=1 x=2")
    write(t, "long-watermark", "brook1 t=1 w=" + "0/1=1i2" + "~3" * 2_000)
    write(t, "leading-zeros", "brook1 t=007 w=x")
    write(t, "nul-then-garbage", b"brook1 t=1\x00garbage")
    write(t, "empty", b"")
    write(t, "java-metadata", "AQAAAYvZm0Ao")


def progress_marker():
    t = "progress_marker"
    write(t, "active", "0.1.4.1700000000000.a.1700000000001.")
    write(t, "idle", "2.0.1.-1.i.5.10,20,-1")
    write(t, "idle-many-ends", "2.0.1.7.i.5." + ",".join(["1"] * 300))
    write(t, "int64-max", "0.0.1.%d.i.%d.%d" % (INT64_MAX, INT64_MAX, INT64_MAX))
    write(t, "overflow", "0.0.1.%d.a.0." % (INT64_MAX + 1))
    write(t, "negative-partition", "0.-1.4.5.a.6.")
    write(t, "huge-tasks", "0.0.2147483648.5.a.6.")
    write(t, "garbage", b"\xff.\x00.1.2.x.3.")
    write(t, "empty", b"")
    write(t, "huge-token", "0.0.1." + "9" * 100_000 + ".a.0.")


def fan_in_watermark():
    t = "fan_in_watermark"
    one = b"\x00\x00\x01"  # 1 group: sub-topology 0, 2 tasks
    two = b"\x01\x00\x01\x03\x00"  # 2 groups: (0, 2 tasks), (3, 1 task)
    write(t, "active", one + b"0/2=5,6")
    write(t, "idle", one + b"0/2=5i100~7~-1,6")
    write(t, "unknown", one + b"0/2=?,?")
    write(t, "two-groups", two + b"0/2=?,5|3/1=9i1~2")
    write(t, "int64-max", one + b"0/2=%di%d~%d,-1" % (INT64_MAX, INT64_MAX, INT64_MAX))
    write(t, "many-ends", one + b"0/2=1i1" + b"~1" * 300 + b",2")
    write(t, "wrong-tasks", one + b"0/3=1,2,3")
    write(t, "extra-group", one + b"0/2=1,2|1/1=3")
    write(t, "garbage", one + b"\xff/\x00=~i,|")
    write(t, "empty", b"")


for make in (metric_parser, activity_parser, serdes, properties_file, streams_config,
             retry_headers, http_request, commit_metadata, progress_marker, fan_in_watermark):
    make()
