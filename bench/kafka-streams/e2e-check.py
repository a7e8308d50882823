#!/usr/bin/env python3
"""Checks the outputs of bench/kafka-streams/e2e-test (record dumps as JSON lines from
DevTool dump) against expectations computed here, independently of the Java code.

  e2e-check.py metrics-expected IN.json WINDOW_MS CLOSER_TS      prints the expected window count
  e2e-check.py metrics IN.json WINDOW_MS CLOSER_TS OUT.json DLQ.json
  e2e-check.py windowed-count IN.json WINDOW_MS OUT.json
  e2e-check.py count OUT.json KEYS EXPECTED_COUNT
  e2e-check.py nexmark q0|q1|q2|q3|q4|q5|q6|q7|q8|q11 PERSONS.json AUCTIONS.json BIDS.json OUT.json
"""
import collections
import json
import math
import sys


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def reject_constant(name):
    raise ValueError(name)


def refuse_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate field in {keys}")
    return dict(pairs)


def load_json(value, strict=False):
    """The parsed JSON of a value, or None for a null value or one that is not JSON (strict:
    nor one with a field twice in an object, as the Nexmark scenarios' Jackson refuses)."""
    if value is None:
        return None
    try:
        return json.loads(value, parse_constant=reject_constant,
                          object_pairs_hook=refuse_duplicates if strict else None)
    except ValueError:
        return None


def parse_metric(value, record_ts):
    """The metric (host, name, unit, value, ts) or None when the value is invalid."""
    doc = load_json(value)
    if not isinstance(doc, dict) or any(f not in doc for f in ("name", "host", "value")):
        return None
    name, host, v = doc["name"], doc["host"], doc["value"]
    if not isinstance(name, str) or not isinstance(host, str):
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        return None
    if not name.strip() or not host.strip():
        return None
    ts = record_ts
    if "ts" in doc:
        if isinstance(doc["ts"], bool) or not isinstance(doc["ts"], int) or doc["ts"] < 0:
            return None
        ts = doc["ts"]
    unit = doc.get("unit")
    if "unit" in doc and not isinstance(unit, str):
        return None
    if "tags" in doc and not isinstance(doc["tags"], dict):
        return None
    v = float(v)
    if unit is not None:
        u = unit.strip().lower()
        if u == "ms":
            unit, v = "s", v / 1000
        elif u in ("percent", "%"):
            unit, v = "ratio", v / 100
    return host, name.strip().lower(), unit or "", v, ts


def expected_windows(inp, window, closer):
    """Windows that close before the closing records' window: (host, name, unit, start) -> values."""
    last_open = closer - closer % window
    windows = collections.defaultdict(list)
    for r in inp:
        m = parse_metric(r["value"], r["ts"])
        if m and m[4] - m[4] % window < last_open:
            host, name, unit, v, ts = m
            windows[(host, name, unit, ts - ts % window)].append(v)
    return windows


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def check_metrics(inp, window, closer, out, dlq):
    expected = expected_windows(inp, window, closer)
    seen = collections.Counter()
    errors = []
    for r in out:
        j = json.loads(r["value"])
        key = (j["host"], j["name"], j["unit"] or "", j["window_start"])
        seen[key] += 1
        values = expected.get(key)
        if r["key"] != j["host"]:
            errors.append(f"key {r['key']} is not the host of {j}")
        if values is None:
            errors.append(f"unexpected window {j}")
            continue
        want = dict(count=len(values), sum=sum(values), min=min(values), max=max(values),
                    avg=sum(values) / len(values), window_end=j["window_start"] + window)
        for field, v in want.items():
            if not close(float(j[field]), float(v)):
                errors.append(f"{key}: {field} is {j[field]}, expected {v}")
        if (j["unit"] is None) != (key[2] == ""):
            errors.append(f"{key}: unit should be null exactly when there is none: {j}")
    missing = set(expected) - set(seen)
    twice = [k for k, n in seen.items() if n > 1]
    if missing:
        errors.append(f"{len(missing)} windows missing, e.g. {sorted(missing)[:3]}")
    if twice:
        errors.append(f"{len(twice)} windows written more than once, e.g. {twice[:3]}")

    invalid = collections.Counter((r["key"], r["value"]) for r in inp if parse_metric(r["value"], r["ts"]) is None)
    dead = collections.Counter((r["key"], r["value"]) for r in dlq)
    if invalid != dead:
        errors.append(f"DLQ differs: expected {sum(invalid.values())} records, got {sum(dead.values())}")
    for r in dlq:
        if not r["headers"].get("error"):
            errors.append(f"DLQ record without an error header: {r}")
    print(f"   output: {len(out)} windows ({len(expected)} expected), DLQ: {len(dlq)} records; reasons:")
    for reason, n in sorted(collections.Counter(r["headers"].get("error") for r in dlq).items()):
        print(f"     {n} x {reason}")
    if out:
        print(f"   sample: {out[0]['key']} {out[0]['value']}")
    return errors


def check_windowed_count(inp, window, out):
    expected = collections.Counter((r["key"], r["ts"] - r["ts"] % window) for r in inp)
    last = {}
    for r in sorted(out, key=lambda r: (r["partition"], r["offset"])):
        last[(r["key"], r["ts"] - r["ts"] % window)] = int(r["value"])
    errors = []
    if set(last) != set(expected):
        errors.append(f"windows differ: {len(last)} seen, {len(expected)} expected")
    wrong = [(k, v, expected[k]) for k, v in last.items() if expected.get(k) != v]
    if wrong:
        errors.append(f"{len(wrong)} final counts wrong, e.g. {wrong[:3]}")
    print(f"   output: {len(out)} updates for {len(last)} (key, window) pairs over "
          f"{len(set(w for _, w in last))} windows; final counts right: {not wrong}")
    return errors


def check_count(out, keys, want):
    last = {}
    for r in sorted(out, key=lambda r: (r["partition"], r["offset"])):
        last[r["key"]] = int(r["value"])
    errors = []
    if len(last) != keys:
        errors.append(f"{len(last)} keys in the output, expected {keys}")
    wrong = [(k, v) for k, v in last.items() if v != want]
    if wrong:
        errors.append(f"{len(wrong)} keys with a count other than {want}, e.g. {wrong[:3]}")
    print(f"   output: {len(out)} records, {len(last)} keys, every final count {want}: {not wrong}")
    return errors


BID_FIELDS = {"auction": int, "bidder": int, "price": int, "channel": str, "url": str,
              "dateTime": int, "extra": str}
PERSON_FIELDS = {"id": int, "name": str, "emailAddress": str, "creditCard": str, "city": str,
                 "state": str, "dateTime": int, "extra": str}
AUCTION_FIELDS = {"id": int, "itemName": str, "description": str, "initialBid": int, "reserve": int,
                  "dateTime": int, "expires": int, "seller": int, "category": int, "extra": str}


def parse_event(value, fields):
    """The event as a dict of its fields, or None when the value is not one: every field
    once, of its JSON type (integers that fit a long), other fields ignored."""
    doc = load_json(value, strict=True)
    if not isinstance(doc, dict):
        return None
    for field, kind in fields.items():
        v = doc.get(field)
        if isinstance(v, bool) or not isinstance(v, kind) or (kind is int and not -2**63 <= v < 2**63):
            return None
    return {field: doc[field] for field in fields}


def java_div(a, b):
    """Java's long division, which truncates towards zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def wrap(n):
    """n as a Java long: two's complement, 64 bits."""
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def window_start(t):
    return t - t % 10000  # Python's % is a floor modulo, as Math.floorMod


def canonical(value):
    return None if value is None else json.dumps(value, sort_keys=True)


def winning_bids(auctions, bids):
    """q4's and q6's table: auction id -> (auction, highest price) over the bids from the
    auction's record time to 20 s after (the join window) and within [dateTime, expires]."""
    by_id = {}
    for ts, a in auctions:
        if a["id"] in by_id:
            raise SystemExit(f"auction {a['id']} comes twice: the expectations assume unique ids")
        by_id[a["id"]] = (ts, a)
    winners = {}
    for ts, b in bids:
        if b["auction"] not in by_id:
            continue
        a_ts, a = by_id[b["auction"]]
        if 0 <= ts - a_ts <= 20000 and a["dateTime"] <= b["dateTime"] <= a["expires"]:
            if b["auction"] not in winners or b["price"] > winners[b["auction"]][1]:
                winners[b["auction"]] = (a, b["price"])
    return winners


def nexmark_expected(query, persons, auctions, bids):
    """(key, value) pairs for q0-q2 (a list: every record), {key: value} for the others
    (the final result of each key); values are parsed JSON, or strings for q11. The inputs
    are lists of (record timestamp, event), bids of (key, event)."""
    window, hop, gap = 10000, 2000, 10000
    if query == "q0":
        return [(k, b) for k, b in bids]
    if query == "q1":
        return [(k, dict(b, price=java_div(b["price"] * 908, 1000))) for k, b in bids]
    if query == "q2":
        return [(k, {"auction": b["auction"], "price": b["price"]}) for k, b in bids if b["auction"] % 123 == 0]
    if query == "q3":
        # Both tables are filtered streams: the last accepted value of each key.
        sold = {a["id"]: a for _, a in auctions if a["category"] == 10}
        local = {p["id"]: p for _, p in persons if p["state"] in ("OR", "ID", "CA")}
        return {str(i): {"name": p["name"], "city": p["city"], "state": p["state"], "id": i}
                for i, a in sold.items() if (p := local.get(a["seller"])) is not None}
    if query == "q8":
        names = {}
        for _, p in persons:
            key = (p["id"], window_start(p["dateTime"]))
            if key in names and names[key] != p["name"]:
                raise SystemExit(f"person {key} comes twice with other names: the first match is not defined")
            names[key] = p["name"]
        sellers = {(a["seller"], window_start(a["dateTime"])) for _, a in auctions}
        return {f"{i}:{start}": {"id": i, "name": name, "starttime": start}
                for (i, start), name in names.items() if (i, start) in sellers}
    if query == "q4":
        sums = {}
        for a, price in winning_bids(auctions, bids).values():
            total, count = sums.get(a["category"], (0, 0))
            sums[a["category"]] = (total + price, count + 1)
        return {str(c): {"category": c, "avg": java_div(wrap(total), count), "count": count, "sum": wrap(total)}
                for c, (total, count) in sums.items()}
    if query == "q6":
        sold = collections.defaultdict(list)
        for auction, (a, price) in winning_bids(auctions, bids).items():
            sold[a["seller"]].append((a["expires"], auction, price))
        result = {}
        for seller, entries in sold.items():
            last = sorted(entries, reverse=True)[:10]
            total = wrap(sum(price for _, _, price in last))
            result[str(seller)] = {"seller": seller, "avg": java_div(total, len(last)), "count": len(last)}
        return result
    bids = [b for _, b in bids]
    if query == "q5":
        counts = collections.Counter()
        for b in bids:
            t = b["dateTime"]
            start = max(0, t - window + hop) // hop * hop
            while start <= t:
                counts[(start, b["auction"])] += 1
                start += hop
        best = {}
        for (start, auction), n in counts.items():
            if start not in best or (-n, auction) < (-best[start][1], best[start][0]):
                best[start] = (auction, n)
        return {str(s): {"auction": a, "num": n} for s, (a, n) in best.items()}
    if query == "q7":
        best = {}
        for b in bids:
            start = b["dateTime"] - b["dateTime"] % window
            rank = (-b["price"], b["auction"], b["bidder"], b["dateTime"])
            if start not in best or rank < best[start][0]:
                best[start] = (rank, b)
        return {str(s): {f: b[f] for f in ("auction", "bidder", "price", "dateTime")} for s, (_, b) in best.items()}
    if query == "q11":
        times = collections.defaultdict(list)
        for b in bids:
            times[b["bidder"]].append(b["dateTime"])
        sessions = {}
        for bidder, ts in times.items():
            ts.sort()
            first = 0
            for i in range(1, len(ts) + 1):
                if i == len(ts) or ts[i] - ts[i - 1] > gap:
                    sessions[f"{bidder}:{ts[first]}:{ts[i - 1]}"] = str(i - first)
                    first = i
        return sessions
    raise SystemExit(f"unknown query {query}")


def valid_events(inp, fields, tag):
    """(tag of the record, event) for the records that are events, in offset order per
    partition, and how many were not."""
    events = [(r[tag], e) for r in sorted(inp, key=lambda r: (r["partition"], r["offset"]))
              if (e := parse_event(r["value"], fields)) is not None]
    return events, len(inp) - len(events)


def check_nexmark(query, persons_in, auctions_in, bids_in, out):
    persons, bad_persons = valid_events(persons_in, PERSON_FIELDS, "ts")
    auctions, bad_auctions = valid_events(auctions_in, AUCTION_FIELDS, "ts")
    if query in ("q4", "q6"):
        bids, bad_bids = valid_events(bids_in, BID_FIELDS, "ts")
    else:
        bids, bad_bids = valid_events(bids_in, BID_FIELDS, "key")
    inputs = {"q3": "persons, auctions", "q8": "persons, auctions", "q4": "auctions, bids", "q6": "auctions, bids"}
    used = inputs.get(query, "bids")
    read = {"persons": (persons, bad_persons), "auctions": (auctions, bad_auctions), "bids": (bids, bad_bids)}
    summary = ", ".join(f"{len(read[t][0])} {t} ({read[t][1]} invalid skipped)" for t in used.split(", "))
    expected = nexmark_expected(query, persons, auctions, bids)
    errors = []
    if isinstance(expected, list):
        want = collections.Counter((k, canonical(v)) for k, v in expected)
        got = collections.Counter((r["key"], canonical(json.loads(r["value"])) if r["value"] else None) for r in out)
        if want != got:
            errors.append(f"{sum((want - got).values())} expected records missing, e.g. {list(want - got)[:2]}; "
                          f"{sum((got - want).values())} unexpected, e.g. {list(got - want)[:2]}")
        print(f"   {query}: {summary}, {len(out)} records "
              f"({len(expected)} expected); same key/value multiset: {want == got}")
        return errors
    last = {}
    tombstones = 0
    for r in sorted(out, key=lambda r: (r["partition"], r["offset"])):
        if r["value"] is None:
            tombstones += 1
            last.pop(r["key"], None)
        else:
            last[r["key"]] = r["value"] if query == "q11" else json.loads(r["value"])
    want = {k: canonical(v) for k, v in expected.items()}
    got = {k: canonical(v) for k, v in last.items()}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = [(k, got[k], want[k]) for k in sorted(set(want) & set(got)) if got[k] != want[k]]
    if missing:
        errors.append(f"{len(missing)} keys missing, e.g. {[(k, want[k]) for k in missing[:3]]}")
    if extra:
        errors.append(f"{len(extra)} unexpected keys, e.g. {[(k, got[k]) for k in extra[:3]]}")
    if wrong:
        errors.append(f"{len(wrong)} final values wrong (key, got, expected), e.g. {wrong[:3]}")
    print(f"   {query}: {summary}, {len(out)} updates "
          f"({tombstones} tombstones) for {len(want)} keys; final values right: {not (missing or extra or wrong)}")
    return errors


def main():
    mode = sys.argv[1]
    if mode == "metrics-expected":
        print(len(expected_windows(records(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
        return 0
    if mode == "metrics":
        errors = check_metrics(records(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                               records(sys.argv[5]), records(sys.argv[6]))
    elif mode == "windowed-count":
        errors = check_windowed_count(records(sys.argv[2]), int(sys.argv[3]), records(sys.argv[4]))
    elif mode == "nexmark":
        errors = check_nexmark(sys.argv[2], records(sys.argv[3]), records(sys.argv[4]), records(sys.argv[5]),
                               records(sys.argv[6]))
    elif mode == "count":
        errors = check_count(records(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    for e in errors:
        print("   ERROR:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
