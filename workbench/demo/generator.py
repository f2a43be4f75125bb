"""Synthetic demo data, written as the files a Pinpoint customer would have.

`generate_demo_files` writes an endpoint import (CSV with Pinpoint's dotted headers plus newline-delimited JSON
in Pinpoint's nested shape), a user-ID-only import file, and the event stream in the record shape and the layout
Kinesis Firehose wrote to S3 (one gzipped JSON-lines file per hour). Everything is drawn from `numpy.random.default_rng`, vectorised with numpy and
Polars, and never reads the clock, so the same arguments give byte-identical files. The fixed data it draws
from (cities, countries, names, devices, weights, curves) lives in `tables`.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from .tables import (
    ANDROID_DEVICES,
    ANDROID_VERSIONS,
    APP_ID,
    APP_VERSIONS,
    AWS_ACCOUNT_ID,
    BROWSERS,
    CHANNELS,
    CITIES,
    CITY_COUNTRY,
    CITY_FRAME,
    CITY_IOS_SHARE,
    CITY_LOCALE_OVERRIDE,
    CITY_NAME_GROUP,
    CITY_OFFSET,
    COUNTRIES,
    COUNTRY_CALLING_CODES,
    EMAIL_DOMAINS,
    EVENT_TYPES,
    FIRST_NAMES,
    FIRST_SLUGS,
    GROUP_FIRST_OFFSET,
    GROUP_FIRST_SIZE,
    GROUP_LAST_OFFSET,
    GROUP_LAST_SIZE,
    HOUR_CURVE,
    INTERESTS,
    IOS_DEVICES,
    IOS_VERSIONS,
    LAST_NAMES,
    LAST_SLUGS,
    LOCALES,
    LOYALTY_TIERS,
    PHONE_PLANS,
    PLANS,
    PRODUCT_CATEGORIES,
    SIGNUP_SOURCES,
    STORES,
    WEEKDAY_CURVE,
)

__all__ = [
    "DEFAULT_END_DATE",
    "ENDPOINT_CSV_HEADER",
    "DemoFiles",
    "generate_demo_files",
    "generate_endpoints",
]

DEFAULT_END_DATE = date(2026, 10, 29)
"""The last day of demo activity: the day before Pinpoint's engagement features were switched off."""

ENDPOINT_CSV_HEADER: tuple[str, ...] = (
    "Id",
    "ChannelType",
    "Address",
    "OptOut",
    "EffectiveDate",
    "Demographic.AppVersion",
    "Demographic.Locale",
    "Demographic.Make",
    "Demographic.Model",
    "Demographic.ModelVersion",
    "Demographic.Platform",
    "Demographic.PlatformVersion",
    "Demographic.Timezone",
    "Location.City",
    "Location.Country",
    "Location.Latitude",
    "Location.Longitude",
    "Location.PostalCode",
    "Location.Region",
    "User.UserId",
    "User.UserAttributes.FirstName",
    "User.UserAttributes.LastName",
    "User.UserAttributes.loyalty_tier",
    "Attributes.plan",
    "Attributes.signup_source",
    "Attributes.Interests",
    "Attributes.Interests",
    "Attributes.Interests",
    "Metrics.purchases",
    "Metrics.lifetime_value",
    "Metrics.sessions_30d",
)
"""Header of `endpoints.csv`; `Attributes.Interests` repeats because it is a multi-valued attribute."""

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_MAX_ENDPOINTS_PER_USER = 4
# Internal codes: positions in tables.CHANNELS and tables.EVENT_TYPES.
_CH_EMAIL, _CH_SMS, _CH_APNS, _CH_GCM, _CH_VOICE, _CH_CUSTOM, _CH_IN_APP = range(len(CHANNELS))
(_EV_START, _EV_STOP, _EV_PAUSE, _EV_RESUME, _EV_SIGN_UP, _EV_SIGN_IN, _EV_AUTH_FAIL,
 _EV_SEARCH, _EV_VIEW, _EV_CART, _EV_CHECKOUT, _EV_PURCHASE, _EV_LEVEL) = range(len(EVENT_TYPES))  # fmt: skip
_ENCODE_CHUNK = 200_000  # events encoded to JSON at a time
_EVENTS_PER_SESSION = 4.6  # measured average, used to size the number of sessions for a target event count

# ---------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files written by `generate_demo_files`, and what they hold.

    `counts` has at least `endpoints`, `endpoints_csv`, `endpoints_jsonl`, `users`, `anonymous_endpoints`,
    `users_file_ids`, `users_file_lines`, `channels` (ChannelType -> endpoints) and, when events were written,
    `events` (lines in the file), `unique_events`, `duplicate_events`, `sessions` and `event_types`.
    """

    endpoints_csv: Path
    endpoints_jsonl: Path
    event_files: tuple[Path, ...]
    users_csv: Path
    counts: dict = field(default_factory=dict)


def generate_demo_files(
    out_dir: str | Path,
    endpoints: int = 100_000,
    seed: int = 0,
    days: int = 90,
    end_date: date = DEFAULT_END_DATE,
    events: bool = True,
    progress: bool = False,
) -> DemoFiles:
    """Write a synthetic Pinpoint-style data set into `out_dir` and return where each file is.

    Files: `endpoints.csv` (about 92 % of the endpoints, Pinpoint's dotted headers), `endpoints.jsonl` (the
    rest, Pinpoint's nested JSON), `users.csv` (a user-ID-only import file) and, when `events` is true, the
    event stream as Pinpoint's Kinesis Data Firehose delivered it: one gzipped JSON-lines file per hour of arrival,
    `events/YYYY/MM/DD/HH/workbench-demo-stream-1-YYYY-MM-DD-HH-00-00-<n>.gz` (about 10 records per endpoint
    over the `days` days ending on `end_date`, UTC, sorted by arrival time, with a few re-delivered duplicates
    that share their `event_id`). Hourly files also keep each file far below the import's 4 GiB cap at 1M
    endpoints (10M events).
    The output depends only on the arguments: the same arguments give byte-identical files.
    """
    if endpoints < 1:
        raise ValueError(f"endpoints must be at least 1, got {endpoints}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = _progress_reporter(progress)
    endpoint_seq, split_seq, events_seq = np.random.SeedSequence(seed).spawn(3)

    frame = _build_endpoints(endpoints, np.random.default_rng(endpoint_seq), days, end_date)
    report(f"built {endpoints:,} endpoints")

    split_rng = np.random.default_rng(split_seq)
    in_jsonl = split_rng.random(frame.height) < 0.08
    # each file holds at least one endpoint (the import refuses an empty file), also at tiny sizes
    if frame.height >= 2 and not in_jsonl.any():
        in_jsonl[-1] = True
    if frame.height >= 2 and in_jsonl.all():
        in_jsonl[0] = False
    csv_path = out / "endpoints.csv"
    jsonl_path = out / "endpoints.jsonl"
    users_path = out / "users.csv"
    public = frame.select(_PUBLIC_COLUMNS)
    _write_endpoints_csv(public.filter(~pl.Series(in_jsonl)), csv_path)
    _write_endpoints_jsonl(public.filter(pl.Series(in_jsonl)), jsonl_path)
    users_file_ids, users_file_lines = _write_users_file(frame, split_rng, users_path)
    report("wrote endpoints.csv, endpoints.jsonl, users.csv")

    channel_counts = frame["ChannelType"].value_counts()
    per_channel = dict(zip(channel_counts["ChannelType"], channel_counts["count"], strict=True))
    counts: dict = {
        "endpoints": frame.height,
        "endpoints_csv": int((~in_jsonl).sum()),
        "endpoints_jsonl": int(in_jsonl.sum()),
        "users": frame["User.UserId"].n_unique() - int(frame["User.UserId"].null_count() > 0),
        "anonymous_endpoints": frame["User.UserId"].null_count(),
        "users_file_ids": users_file_ids,
        "users_file_lines": users_file_lines,
        "channels": {ch: per_channel[ch] for ch in CHANNELS if ch in per_channel},
    }

    event_files: tuple[Path, ...] = ()
    if events:
        chunks, event_counts = _build_events(frame, np.random.default_rng(events_seq), days, end_date)
        report(f"built {event_counts['events']:,} events")
        event_files = _write_hourly_files(chunks, out / "events")
        report(f"wrote {len(event_files):,} hourly event files under events/")
        counts.update(event_counts)
        counts["event_files"] = len(event_files)
    return DemoFiles(csv_path, jsonl_path, event_files, users_path, counts)


def generate_endpoints(
    endpoints: int = 100_000, seed: int = 0, days: int = 90, end_date: date = DEFAULT_END_DATE
) -> pl.DataFrame:
    """Return the demo endpoints as one flat Polars frame, without writing files.

    Columns are the dotted names of `ENDPOINT_CSV_HEADER` (with `Attributes.Interests` once, as a list of
    strings) plus `CreationDate`. The rows equal those `generate_demo_files` writes for the same arguments.
    """
    endpoint_seq = np.random.SeedSequence(seed).spawn(3)[0]
    frame = _build_endpoints(endpoints, np.random.default_rng(endpoint_seq), days, end_date)
    return frame.select([*_PUBLIC_COLUMNS, "CreationDate"])


# ---------------------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------------------

_PUBLIC_COLUMNS = [c for i, c in enumerate(ENDPOINT_CSV_HEADER) if c not in ENDPOINT_CSV_HEADER[:i]]


def _build_endpoints(n: int, rng: np.random.Generator, days: int, end_date: date) -> pl.DataFrame:
    """All endpoints with public columns plus private helpers (prefixed `_`) that the events need."""
    window_start, window_end = _window_ms(days, end_date)
    pool = int(n / 1.6) + 16
    while True:  # about 1.8 endpoints per user, so one round is nearly always enough
        users = _build_users(pool, rng, window_start, window_end)
        user_idx, channel, rank = _assign_channels(users, rng)
        if user_idx.size >= n:
            break
        pool *= 2
    user_idx, channel, rank = user_idx[:n], channel[:n], rank[:n]

    city = users["city"][user_idx]
    country = CITY_COUNTRY[city]
    is_push = (channel == _CH_APNS) | (channel == _CH_GCM) | (channel == _CH_IN_APP)
    ios = np.where(channel == _CH_APNS, True, np.where(channel == _CH_GCM, False, users["ios"][user_idx]))

    # Creation: the user's first endpoint at sign-up, the others later. A delay that would run past the
    # window is redrawn inside what is left of it, so no day collects the overflow.
    signed_up = users["created"][user_idx]
    latest = window_end - _HOUR_MS
    delay = np.where(rank == 0, 0, rng.exponential(20 * _DAY_MS, n).astype(np.int64))
    inside = (rng.random(n) * (latest - signed_up)).astype(np.int64)
    created = signed_up + np.where(signed_up + delay < latest, delay, inside)
    updated = created + (rng.random(n) * (window_end - created)).astype(np.int64)
    order = np.lexsort((rank, user_idx, created))
    (user_idx, channel, rank, city, country, is_push, ios, created, updated) = (
        a[order] for a in (user_idx, channel, rank, city, country, is_push, ios, created, updated)
    )

    anonymous = rng.random(n) < 0.03
    no_location = (channel == _CH_EMAIL) & (rng.random(n) < 0.04)
    web = (channel == _CH_EMAIL) & (rng.random(n) < 0.15)
    activity = rng.lognormal(0.0, 1.1, n)

    location_idx = _nullable_index(city, no_location)
    loc = CITY_FRAME.select(
        pl.all().exclude("Demographic.Timezone").gather(location_idx),
        pl.col("Demographic.Timezone").gather(city),
    )
    width = max(7, len(str(n)))
    id_numbers = pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(width)
    device = _device_columns(rng, ios, is_push)
    locale = _draw_locales(rng, city)
    address = _addresses(rng, users, user_idx, channel, city, country)

    uid_width = max(6, len(str(len(users["city"]))))
    user_cols = _user_table(users, uid_width).select(pl.all().gather(_nullable_index(user_idx, anonymous)))
    sessions_scale = np.select([is_push, web], [6.0, 3.0], 0.0)
    sessions_30d = rng.poisson(activity * sessions_scale).astype(np.float64)

    frame = pl.DataFrame(
        {
            "Id": ("ep-" + id_numbers),
            "ChannelType": _lookup(CHANNELS, channel),
            "Address": address,
            "OptOut": _lookup(("NONE", "ALL"), (rng.random(n) < 0.02).astype(np.int64)),
            "EffectiveDate": _iso_seconds(updated),
            "Demographic.Locale": locale,
            **_columns(device),
            **_columns(loc),
            **_columns(user_cols),
            "Metrics.sessions_30d": sessions_30d,
            "CreationDate": _iso_seconds(created),
            "_created_ms": created,
            "_activity": activity,
            "_utc_offset_min": CITY_OFFSET[city],
            "_web": web,
            "_ios": ios,
        }
    )
    return frame.select([*_PUBLIC_COLUMNS, "CreationDate", *[c for c in frame.columns if c.startswith("_")]])


def _build_users(
    u: int, rng: np.random.Generator, window_start: int, window_end: int
) -> dict[str, np.ndarray]:
    """Per-user draws: home city, name, plan, interests, metrics, sign-up time, which channels they use."""
    weights = np.array([c[8] for c in CITIES])
    city = rng.choice(len(CITIES), u, p=weights / weights.sum())
    group = CITY_NAME_GROUP[city]
    first = GROUP_FIRST_OFFSET[group] + (rng.random(u) * GROUP_FIRST_SIZE[group]).astype(np.int64)
    last = GROUP_LAST_OFFSET[group] + (rng.random(u) * GROUP_LAST_SIZE[group]).astype(np.int64)

    # Interests: 0-3 distinct values, popular ones more often (Gumbel top-k).
    weights = np.array([w for _, w in INTERESTS])
    keys = np.log(weights) + rng.gumbel(size=(u, len(INTERESTS)))
    top = np.argsort(-keys, axis=1)[:, :3]
    n_interests = rng.choice(4, u, p=[0.25, 0.35, 0.25, 0.15])

    purchases = rng.negative_binomial(0.6, 0.12, u)
    basket = rng.lognormal(np.log(38.0), 0.6, u)
    lifetime_value = np.round(purchases * basket * rng.uniform(0.8, 1.2, u), 2)
    tier = np.select([purchases >= 8, purchases >= 3], [2, 1], 0)

    # 60 % signed up in the two years before the window; the rest during it, more towards the end.
    before = rng.random(u) < 0.6
    span = window_end - window_start
    created = np.where(
        before,
        window_start - (rng.random(u) * 730 * _DAY_MS).astype(np.int64),
        window_start + (np.sqrt(rng.random(u)) * (span - 6 * _HOUR_MS)).astype(np.int64),
    )
    ios_share = CITY_IOS_SHARE[city]
    return {
        "city": city,
        "first": first,
        "last": last,
        "interests": np.where(np.arange(3)[None, :] < n_interests[:, None], top, -1),
        "plan": _weighted_choice(rng, PLANS, u),
        "source": _weighted_choice(rng, SIGNUP_SOURCES, u),
        "purchases": purchases,
        "lifetime_value": lifetime_value,
        "tier": tier,
        "created": created,
        "email_variant": rng.choice(4, u, p=[0.45, 0.2, 0.15, 0.2]),
        "email_domain": rng.choice(len(EMAIL_DOMAINS), u, p=[0.55, 0.2, 0.15, 0.05, 0.05]),
        "ios": rng.random(u) < ios_share,
        "flags": rng.random((u, 7)),
    }


def _assign_channels(
    users: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Explode users into endpoints: (user index, channel, rank within the user), in user order."""
    f = users["flags"]
    u = f.shape[0]
    has_email = f[:, 0] < 0.92
    has_sms = f[:, 1] < 0.37
    app_user = f[:, 2] < 0.40
    second_device = app_user & (f[:, 3] < 0.15)
    has_voice = f[:, 4] < 0.04
    has_custom = f[:, 5] < 0.03
    has_in_app = app_user & (f[:, 6] < 0.055)
    has_email |= ~(has_sms | app_user | has_voice | has_custom)
    # The second device is usually on the same platform (an iPad next to an iPhone).
    second_ios = np.where(rng.random(u) < 0.8, users["ios"], ~users["ios"])
    push = np.where(users["ios"], _CH_APNS, _CH_GCM)
    push2 = np.where(second_ios, _CH_APNS, _CH_GCM)

    parts = [
        (has_email, np.full(u, _CH_EMAIL)),
        (has_sms, np.full(u, _CH_SMS)),
        (app_user, push),
        (second_device, push2),
        (has_voice, np.full(u, _CH_VOICE)),
        (has_custom, np.full(u, _CH_CUSTOM)),
        (has_in_app, np.full(u, _CH_IN_APP)),
    ]
    user_idx = np.concatenate([np.flatnonzero(m) for m, _ in parts])
    channel = np.concatenate([ch[m] for m, ch in parts])
    kind = np.concatenate([np.full(int(m.sum()), k) for k, (m, _) in enumerate(parts)])
    order = np.lexsort((kind, user_idx))
    user_idx, channel = user_idx[order], channel[order]
    starts = np.r_[0, np.flatnonzero(np.diff(user_idx)) + 1]
    rank = np.arange(user_idx.size) - np.repeat(starts, np.diff(np.r_[starts, user_idx.size]))
    keep = rank < _MAX_ENDPOINTS_PER_USER
    return user_idx[keep], channel[keep], rank[keep]


def _user_table(users: dict[str, np.ndarray], uid_width: int) -> pl.DataFrame:
    """One row per user: the user id and the user-level attributes and metrics every endpoint of theirs carries."""
    u = users["city"].size
    names = [i for i, _ in INTERESTS]
    return pl.DataFrame(
        {
            "User.UserId": "user-" + pl.Series(np.arange(1, u + 1)).cast(pl.String).str.zfill(uid_width),
            "User.UserAttributes.FirstName": _lookup(FIRST_NAMES, users["first"]),
            "User.UserAttributes.LastName": _lookup(LAST_NAMES, users["last"]),
            "User.UserAttributes.loyalty_tier": _lookup(LOYALTY_TIERS, users["tier"]),
            "Attributes.plan": _lookup([p for p, _ in PLANS], users["plan"]),
            "Attributes.signup_source": _lookup([s for s, _ in SIGNUP_SOURCES], users["source"]),
            "Attributes.Interests": _ragged_lists(names, users["interests"]),
            "Metrics.purchases": users["purchases"].astype(np.float64),
            "Metrics.lifetime_value": users["lifetime_value"],
        }
    )


def _device_columns(rng: np.random.Generator, ios: np.ndarray, is_push: np.ndarray) -> pl.DataFrame:
    """Demographic device fields for app endpoints (null for email, SMS, voice and custom endpoints)."""
    n = ios.size
    devices = pl.DataFrame(
        {
            "Demographic.Make": [d[0] for d in IOS_DEVICES + ANDROID_DEVICES],
            "Demographic.Model": [d[1] for d in IOS_DEVICES + ANDROID_DEVICES],
            "Demographic.ModelVersion": [d[2] for d in IOS_DEVICES + ANDROID_DEVICES],
            "Demographic.Platform": ["iOS"] * len(IOS_DEVICES) + ["Android"] * len(ANDROID_DEVICES),
        }
    )
    device = np.where(
        ios,
        _weighted_choice(rng, IOS_DEVICES, n),
        len(IOS_DEVICES) + _weighted_choice(rng, ANDROID_DEVICES, n),
    )
    version = np.where(
        ios,
        _weighted_choice(rng, IOS_VERSIONS, n),
        len(IOS_VERSIONS) + _weighted_choice(rng, ANDROID_VERSIONS, n),
    )
    app_version = _weighted_choice(rng, APP_VERSIONS, n)
    not_app = ~is_push
    return devices.select(pl.all().gather(_nullable_index(device, not_app))).with_columns(
        _lookup([v for v, _ in APP_VERSIONS], app_version, not_app).alias("Demographic.AppVersion"),
        _lookup([v for v, _ in IOS_VERSIONS + ANDROID_VERSIONS], version, not_app).alias(
            "Demographic.PlatformVersion"
        ),
    )


def _draw_locales(rng: np.random.Generator, city: np.ndarray) -> pl.Series:
    """A locale per endpoint that fits its city (and so its country)."""
    out = np.zeros(city.size, dtype=np.int64)
    u = rng.random(city.size)
    for ci, row in enumerate(CITIES):
        mask = city == ci
        if not mask.any():
            continue
        options = CITY_LOCALE_OVERRIDE.get(row[0]) or COUNTRIES[row[2]][0]
        cum = np.cumsum([w for _, w in options])
        pick = np.minimum(np.searchsorted(cum / cum[-1], u[mask], side="right"), len(options) - 1)
        out[mask] = np.array([LOCALES.index(loc) for loc, _ in options])[pick]
    return _lookup(LOCALES, out)


def _addresses(
    rng: np.random.Generator,
    users: dict[str, np.ndarray],
    user_idx: np.ndarray,
    channel: np.ndarray,
    city: np.ndarray,
    country: np.ndarray,
) -> pl.Series:
    n = channel.size
    address = pl.Series("Address", [None] * n, dtype=pl.String)
    email = channel == _CH_EMAIL
    phone = (channel == _CH_SMS) | (channel == _CH_VOICE)
    apns = (channel == _CH_APNS) | ((channel == _CH_IN_APP) & users["ios"][user_idx])
    gcm = (channel == _CH_GCM) | ((channel == _CH_IN_APP) & ~users["ios"][user_idx])
    custom = channel == _CH_CUSTOM

    idx = np.flatnonzero(email)
    address = address.scatter(idx, _emails(rng, users, user_idx[idx]))
    idx = np.flatnonzero(phone)
    address = address.scatter(idx, _phone_numbers(rng, city[idx], country[idx]))
    idx = np.flatnonzero(apns)
    address = address.scatter(idx, _random_strings(rng, idx.size, 64, b"0123456789abcdef"))
    idx = np.flatnonzero(gcm)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    tokens = (
        _random_strings(rng, idx.size, 22, alphabet)
        + ":APA91b"
        + _random_strings(rng, idx.size, 123, alphabet)
    )
    address = address.scatter(idx, tokens)
    idx = np.flatnonzero(custom)
    hook_ids = _random_strings(rng, idx.size, 16, b"0123456789abcdef")
    address = address.scatter(idx, "https://hooks.example.com/notify/" + hook_ids)
    return address


def _emails(rng: np.random.Generator, users: dict[str, np.ndarray], user_idx: np.ndarray) -> pl.Series:
    """first.last12@example.com and variants; the user number makes them unique. A few need normalising."""
    first = _lookup(FIRST_SLUGS, users["first"][user_idx])
    last = _lookup(LAST_SLUGS, users["last"][user_idx])
    number = pl.Series(user_idx + 1).cast(pl.String)
    variant = pl.Series(users["email_variant"][user_idx])
    domain = _lookup(EMAIL_DOMAINS, users["email_domain"][user_idx])
    df = pl.DataFrame({"f": first, "l": last, "n": number, "v": variant, "d": domain})
    local = (
        pl.when(pl.col("v") == 0)
        .then(pl.concat_str("f", pl.lit("."), "l", "n"))
        .when(pl.col("v") == 1)
        .then(pl.concat_str("f", "l", "n"))
        .when(pl.col("v") == 2)
        .then(pl.concat_str(pl.col("f").str.slice(0, 1), "l", "n"))
        .otherwise(pl.concat_str("f", pl.lit("."), "l", pl.lit("+"), "n"))
    )
    noise = rng.random(user_idx.size)
    emails = df.select(pl.concat_str(local, pl.lit("@"), "d").alias("e")).to_series()
    noisy = pl.DataFrame({"e": emails, "z": noise}).select(
        pl.when(pl.col("z") < 0.008)
        .then(pl.col("e").str.to_uppercase())
        .when(pl.col("z") < 0.016)
        .then(pl.col("e").str.slice(0, 1).str.to_uppercase() + pl.col("e").str.slice(1))
        .when(pl.col("z") < 0.022)
        .then(pl.lit(" ") + pl.col("e") + pl.lit(" "))
        .otherwise(pl.col("e"))
    )
    return noisy.to_series()


def _phone_numbers(rng: np.random.Generator, city: np.ndarray, country: np.ndarray) -> pl.Series:
    """Valid, unique mobile numbers; about 10 % in the national format of the endpoint's Location.Country."""
    n = city.size
    codes = _str_series(np.array(["+" + COUNTRY_CALLING_CODES[c] for c in country], dtype=object))
    nsn = _draw_nsn(rng, city, country)
    while True:
        e164 = codes + _str_series(nsn)
        repeat = (e164.is_duplicated() & ~e164.is_first_distinct()).to_numpy()
        if not repeat.any():
            break
        nsn[repeat] = _draw_nsn(rng, city[repeat], country[repeat])
    national = np.flatnonzero(rng.random(n) < 0.10)
    return e164.scatter(national, _national_format(_str_series(nsn[national]), country[national]))


def _draw_nsn(rng: np.random.Generator, city: np.ndarray, country: np.ndarray) -> np.ndarray:
    """National significant numbers (without the country code) following `PHONE_PLANS`."""
    n = city.size
    out = np.empty(n, dtype=object)
    for cc, (prefixes, digits, _fmt) in PHONE_PLANS.items():
        mask = country == cc
        k = int(mask.sum())
        if not k:
            continue
        if cc in ("US", "CA", "BR"):
            # Area code from the city; US/Canada exchanges are 2xx-9xx without N11; Brazil adds 9[6-9].
            area = np.empty(k, dtype=object)
            sub_city = city[mask]
            u = rng.random(k)
            for ci in np.unique(sub_city):
                codes = CITIES[ci][9]
                m = sub_city == ci
                area[m] = np.array([str(c) for c in codes], dtype=object)[(u[m] * len(codes)).astype(int)]
            if cc == "BR":
                head = area + np.array(prefixes, dtype=object)[rng.integers(0, len(prefixes), k)]
            else:
                exchange = rng.integers(200, 1000, k)
                exchange = np.where(exchange % 100 == 11, exchange + 1, exchange)
                head = area + exchange.astype(str).astype(object)
        else:
            head = np.array(prefixes, dtype=object)[rng.integers(0, len(prefixes), k)]
        tail = pl.Series(rng.integers(0, 10**digits, k)).cast(pl.String).str.zfill(digits).to_numpy()
        out[mask] = head + tail.astype(object)
    return out


def _national_format(nsn: pl.Series, country: np.ndarray) -> pl.Series:
    """Format national significant numbers the way people type them locally, e.g. "(206) 555-0123"."""
    country_s = pl.Series(country.astype(str))
    expr = pl.lit(None, dtype=pl.String)
    for cc, (_prefixes, _digits, fmt) in PHONE_PLANS.items():
        expr = pl.when(pl.col("c") == cc).then(_format_expr(fmt)).otherwise(expr)
    return pl.DataFrame({"x": nsn, "c": country_s}).select(expr.alias("n")).to_series()


def _format_expr(fmt: str) -> pl.Expr:
    parts: list[pl.Expr] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "{":
            j = fmt.index("}", i)
            a, b = (int(x) for x in fmt[i + 1 : j].split(":"))
            parts.append(pl.col("x").str.slice(a, b - a))
            i = j + 1
        else:
            j = fmt.find("{", i)
            j = len(fmt) if j < 0 else j
            parts.append(pl.lit(fmt[i:j]))
            i = j
    return pl.concat_str(parts)


# ---------------------------------------------------------------------------------------------------------
# Endpoint files
# ---------------------------------------------------------------------------------------------------------


def _write_endpoints_csv(frame: pl.DataFrame, path: Path) -> None:
    interests = pl.col("Attributes.Interests")
    body = frame.select(
        *[
            interests.list.get(int(c.rsplit("#", 1)[1]), null_on_oob=True).alias(c)
            if c.startswith("Attributes.Interests#")
            else pl.col(c)
            for c in _csv_body_columns()
        ]
    )
    with path.open("wb") as f:
        f.write((",".join(ENDPOINT_CSV_HEADER) + "\n").encode())
        body.write_csv(f, include_header=False)


def _csv_body_columns() -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in ENDPOINT_CSV_HEADER:
        if c == "Attributes.Interests":
            out.append(f"{c}#{seen.get(c, 0)}")
            seen[c] = seen.get(c, 0) + 1
        else:
            out.append(c)
    return out


def _write_endpoints_jsonl(frame: pl.DataFrame, path: Path) -> None:
    """Pinpoint's nested endpoint JSON, one object per line; absent values are left out."""
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for row in frame.iter_rows(named=True):
            doc: dict = {}
            for key, value in row.items():
                if value is None or value == []:
                    continue
                head, _, rest = key.partition(".")
                if not rest:
                    doc[key] = value
                elif head == "User" and rest == "UserId":
                    doc.setdefault("User", {})["UserId"] = value
                elif head == "User":
                    user_attributes = doc.setdefault("User", {}).setdefault("UserAttributes", {})
                    user_attributes[rest.removeprefix("UserAttributes.")] = [value]
                elif head == "Attributes":
                    doc.setdefault("Attributes", {})[rest] = value if isinstance(value, list) else [value]
                else:
                    doc.setdefault(head, {})[rest] = value
            f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


def _write_users_file(frame: pl.DataFrame, rng: np.random.Generator, path: Path) -> tuple[int, int]:
    """A user-ID-only import: header `User.UserId`, then 1-5 space-separated ids per line (about 1 % of users)."""
    user_ids = frame["User.UserId"].drop_nulls().unique(maintain_order=True).sort()
    k = max(1, round(user_ids.len() * 0.01))
    chosen = user_ids.gather(np.sort(rng.choice(user_ids.len(), min(k, user_ids.len()), replace=False)))
    chosen = chosen.gather(rng.permutation(chosen.len()))
    sizes = rng.integers(1, 6, chosen.len())
    line_of = np.repeat(np.arange(sizes.size), sizes)[: chosen.len()]
    lines = (
        pl.DataFrame({"line": line_of, "id": chosen})
        .group_by("line", maintain_order=True)
        .agg(pl.col("id").str.join(" "))
    )
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("User.UserId\n")
        for text in lines["id"]:
            f.write(text + "\n")
    return chosen.len(), lines.height


# ---------------------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------------------


def _build_events(
    endpoints: pl.DataFrame, rng: np.random.Generator, days: int, end_date: date
) -> tuple[Iterator[pl.Series], dict]:
    """Event-stream records as chunks of JSON lines sorted by arrival time, and counts of what was made.

    The chunks are encoded lazily, so only one chunk of JSON text is in memory at a time.
    """
    window_start, window_end = _window_ms(days, end_date)
    channel = endpoints["ChannelType"].to_numpy()
    is_app = (channel == "APNS") | (channel == "GCM")
    candidate = is_app | endpoints["_web"].to_numpy()
    active = candidate & (rng.random(endpoints.height) < np.where(is_app, 0.88, 0.9))
    clients = endpoints.filter(pl.Series(active))
    c = clients.height
    if c == 0:
        return iter(()), _event_counts(pl.DataFrame(), 0, 0)

    created = clients["_created_ms"].to_numpy()
    first_ms = np.maximum(created, window_start)
    span_days = (window_end - first_ms) / _DAY_MS
    weight = clients["_activity"].to_numpy() * span_days
    target_sessions = round(10 * endpoints.height / _EVENTS_PER_SESSION)
    sign_ups = np.flatnonzero(created >= window_start)
    per_client = rng.multinomial(max(target_sessions - sign_ups.size, 0), weight / weight.sum())

    # Regular sessions: a day after the client's first-active day (weekly curve), a local hour (daily curve).
    client = np.repeat(np.arange(c), per_client)
    first_day = (first_ms[client] - window_start) // _DAY_MS
    day = _draw_days(rng, first_day, days, end_date)
    local_hour = rng.choice(24, client.size, p=HOUR_CURVE / HOUR_CURVE.sum())
    offset_min = clients["_utc_offset_min"].to_numpy()[client]
    utc_minute = (local_hour * 60 - offset_min) % 1440
    start = window_start + day * _DAY_MS + utc_minute * 60_000 + rng.integers(0, _HOUR_MS, client.size)
    start = np.maximum(start, first_ms[client] + 60_000 + rng.integers(0, _HOUR_MS, client.size))
    # Sign-up sessions: new endpoints start with one, seconds after they were created.
    client = np.r_[sign_ups, client]
    start = np.r_[created[sign_ups] + rng.integers(1_000, 30_000, sign_ups.size), start]
    is_sign_up = np.r_[np.ones(sign_ups.size, bool), np.zeros(start.size - sign_ups.size, bool)]
    duration = np.clip(rng.lognormal(np.log(240_000), 0.9, start.size), 20_000, 3 * _HOUR_MS).astype(np.int64)
    sessions = _non_overlapping_sessions(client, start, start + duration, is_sign_up, window_end)

    parts = _session_events(sessions, clients, rng)
    funnel, funnel_counts = _funnel_events(sessions, rng)
    ev = pl.concat([*parts, funnel], how="vertical")
    ev = _add_delivery(ev, rng)
    tables = _encoding_tables(sessions, clients, rng)
    chunks = (
        pl.DataFrame(
            {
                "hour": ev["arrival"].slice(i, _ENCODE_CHUNK) // _HOUR_MS,
                "line": _encode_events(ev.slice(i, _ENCODE_CHUNK), tables),
            }
        )
        for i in range(0, ev.height, _ENCODE_CHUNK)
    )
    return chunks, _event_counts(ev, sessions.height, funnel_counts)


def _draw_days(rng: np.random.Generator, first_day: np.ndarray, days: int, end_date: date) -> np.ndarray:
    """A day in [first_day, days) per session, accepted in proportion to its weekday's weight."""
    first_weekday = (end_date - timedelta(days=days - 1)).weekday()
    accept = WEEKDAY_CURVE / WEEKDAY_CURVE.max()
    day = np.empty(first_day.size, dtype=np.int64)
    todo = np.arange(first_day.size)
    while todo.size:
        lo = first_day[todo]
        d = lo + (rng.random(todo.size) * (days - lo)).astype(np.int64)
        ok = rng.random(todo.size) < accept[(first_weekday + d) % 7]
        day[todo[ok]] = d[ok]
        todo = todo[~ok]
    return day


def _non_overlapping_sessions(
    client: np.ndarray, start: np.ndarray, stop: np.ndarray, sign_up: np.ndarray, window_end: int
) -> pl.DataFrame:
    """Sessions sorted by client and start; drops sessions that overlap an earlier one or end after the window."""
    df = (
        pl.DataFrame({"client": client, "start": start, "stop": stop, "sign_up": sign_up})
        .filter(pl.col("stop") < window_end)
        .sort("client", "start", "stop", maintain_order=True)
    )
    busy_until = pl.col("stop").shift(1).cum_max().over("client")
    df = df.filter(busy_until.is_null() | (pl.col("start") > busy_until + 30_000))
    nxt = pl.int_range(pl.len()).shift(-1)
    same_client = pl.col("client").shift(-1) == pl.col("client")
    return df.with_columns(
        pl.int_range(pl.len()).alias("sid"),
        pl.when(same_client).then(nxt).otherwise(-1).alias("next_sid"),
    )


def _at(start: np.ndarray, stop: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float, u: np.ndarray):
    """A time at a fraction between lo and hi of the way through each session."""
    frac = lo + (hi - lo) * u
    return start + (frac * (stop - start)).astype(np.int64)


def _session_events(
    sessions: pl.DataFrame, clients: pl.DataFrame, rng: np.random.Generator
) -> list[pl.DataFrame]:
    """Session, auth, search and level events (the funnel is built separately)."""
    s = sessions.height
    sid = sessions["sid"].to_numpy()
    start = sessions["start"].to_numpy()
    stop = sessions["stop"].to_numpy()
    web = clients["_web"].to_numpy()[sessions["client"].to_numpy()]
    out: list[pl.DataFrame] = []

    def add(mask_or_idx: np.ndarray, etype: int, ts: np.ndarray, **extra: np.ndarray) -> None:
        idx = np.flatnonzero(mask_or_idx) if mask_or_idx.dtype == bool else mask_or_idx
        cols = {"sid": sid[idx], "etype": np.full(idx.size, etype, np.int8), "ts": ts}
        for name in ("product", "quantity", "m1", "m2"):
            cols[name] = extra.get(name, np.full(idx.size, -1, np.int64))
        out.append(pl.DataFrame(cols).cast({"product": pl.Int32, "quantity": pl.Int32}))

    every = np.ones(s, bool)
    add(every, _EV_START, start)
    add(every, _EV_STOP, stop)

    paused = rng.random(s) < 0.12
    u = rng.random(s)
    add(paused, _EV_PAUSE, _at(start, stop, 0.62, 0.72, u)[paused])
    add(paused, _EV_RESUME, _at(start, stop, 0.78, 0.88, u)[paused])

    sign_up = sessions["sign_up"].to_numpy()
    add(sign_up, _EV_SIGN_UP, np.minimum(start + rng.integers(2_000, 30_000, s), stop - 1)[sign_up])
    signs_in = ~sign_up & (rng.random(s) < np.where(web, 0.35, 0.15))
    sign_in_ts = np.minimum(start + rng.integers(1_000, 12_000, s), stop - 1)
    add(signs_in, _EV_SIGN_IN, sign_in_ts[signs_in])
    failed = signs_in & (rng.random(s) < 0.12)
    add(failed, _EV_AUTH_FAIL, np.maximum(sign_in_ts - rng.integers(400, 5_000, s), start + 1)[failed])

    searches = np.where(rng.random(s) < 0.3, 1 + (rng.random(s) < 0.35), 0)
    idx = np.repeat(np.arange(s), searches)
    add(
        idx,
        _EV_SEARCH,
        _at(start[idx], stop[idx], 0.02, 0.3, rng.random(idx.size)),
        m1=np.clip(rng.poisson(11, idx.size), 2, 60),
        m2=rng.poisson(rng.choice([0.3, 12.0, 40.0], idx.size, p=[0.08, 0.6, 0.32])),
    )
    levels = np.where(~web & (rng.random(s) < 0.12), 1 + (rng.random(s) < 0.3), 0)
    idx = np.repeat(np.arange(s), levels)
    add(
        idx,
        _EV_LEVEL,
        _at(start[idx], stop[idx], 0.1, 0.95, rng.random(idx.size)),
        quantity=rng.integers(1, 41, idx.size),
        m1=rng.integers(100, 10_000, idx.size),
        m2=rng.integers(20, 900, idx.size),
    )
    return out


def _funnel_events(sessions: pl.DataFrame, rng: np.random.Generator) -> tuple[pl.DataFrame, int]:
    """product.view -> cart.add -> checkout.start -> _monetization.purchase.

    Each later step converts with a fixed probability and happens either later in the same session or, more
    often for later steps, in the client's next session (hours or days later).
    """
    s = sessions.height
    sid = sessions["sid"].to_numpy()
    start = sessions["start"].to_numpy()
    stop = sessions["stop"].to_numpy()
    next_sid = sessions["next_sid"].to_numpy()
    catalog = _product_catalog()
    popularity = 1.0 / np.arange(1, catalog.height + 1) ** 0.8
    popularity /= popularity.sum()

    views = np.where(rng.random(s) < 0.55, rng.geometric(0.45, s), 0).clip(0, 8)
    v_idx = np.repeat(np.arange(s), views)
    within = np.arange(v_idx.size) - np.repeat(np.cumsum(views) - views, views)
    v_ts = _at(
        start[v_idx],
        stop[v_idx],
        0.05 + 0.5 * within / 8,
        0.05 + 0.5 * (within + 1) / 8,
        rng.random(v_idx.size),
    )
    v_product = rng.choice(catalog.height, v_idx.size, p=popularity)
    frames = [_funnel_frame(sid[v_idx], _EV_VIEW, v_ts, v_product)]

    # The chain continues from each session's last view.
    last = np.cumsum(views)[views > 0] - 1
    chain_sid, chain_ts, chain_product = v_idx[last], v_ts[last], v_product[last]
    for etype, convert, same_session in (
        (_EV_CART, 0.35, 0.85),
        (_EV_CHECKOUT, 0.60, 0.55),
        (_EV_PURCHASE, 0.70, 0.45),
    ):
        k = chain_sid.size
        converts = rng.random(k) < convert
        here = rng.random(k) < same_session
        u = rng.random(k)
        cur_stop = stop[chain_sid]
        ts_here = chain_ts + ((0.15 + 0.8 * u) * (cur_stop - chain_ts)).astype(np.int64)
        nxt = next_sid[chain_sid]
        later = np.maximum(nxt, 0)
        ts_later = _at(start[later], stop[later], 0.1, 0.9, u)
        ok = converts & (here | (nxt >= 0))
        new_sid = np.where(here, chain_sid, nxt)[ok]
        new_ts = np.where(here, ts_here, ts_later)[ok]
        new_ts = np.where(new_ts <= chain_ts[ok], chain_ts[ok] + 1, new_ts)
        chain_sid, chain_ts, chain_product = new_sid, new_ts, chain_product[ok]
        frames.append(_funnel_frame(sid[chain_sid], etype, chain_ts, chain_product))

    n_purchases = chain_sid.size
    quantity = rng.choice([1, 2, 3], n_purchases, p=[0.72, 0.2, 0.08])
    frames[-1] = frames[-1].with_columns(pl.Series("quantity", quantity, dtype=pl.Int32))
    return pl.concat(frames), n_purchases


def _funnel_frame(sid: np.ndarray, etype: int, ts: np.ndarray, product: np.ndarray) -> pl.DataFrame:
    k = sid.size
    return pl.DataFrame(
        {
            "sid": sid,
            "etype": np.full(k, etype, np.int8),
            "ts": ts,
            "product": product.astype(np.int32),
            "quantity": np.full(k, -1, np.int32),
            "m1": np.full(k, -1, np.int64),
            "m2": np.full(k, -1, np.int64),
        }
    )


def _product_catalog() -> pl.DataFrame:
    """120 products with a category and a USD price; fixed (not seeded) so prices are stable across demos."""
    rng = np.random.default_rng(20261030)
    n = 120
    price = np.round(np.exp(rng.normal(np.log(24.0), 0.9, n)).clip(1.5, 900)) - 0.01
    return pl.DataFrame(
        {
            "product_id": [f"sku-{10001 + i}" for i in range(n)],
            "category": np.array(PRODUCT_CATEGORIES)[rng.integers(0, len(PRODUCT_CATEGORIES), n)],
            "price": np.maximum(price, 0.99).round(2),
        }
    )


def _add_delivery(ev: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Event ids, arrival times (SDK batching delays) and a few re-delivered duplicates."""
    n = ev.height
    delay = np.clip(rng.lognormal(np.log(800), 0.8, n), 150, 10_000).astype(np.int64)
    offline = rng.random(n) < 0.005
    delay = np.where(offline, rng.integers(60_000, 6 * _HOUR_MS, n), delay)
    ev = ev.with_columns(
        pl.Series("event_id", _uuid_strings(rng, n)),
        (pl.col("ts") + pl.Series(delay)).alias("arrival"),
        pl.Series("txn", _random_strings(rng, n, 16, b"0123456789abcdef")),
    )
    dup = np.flatnonzero(rng.random(n) < 0.003)
    resent = ev[dup].with_columns(pl.col("arrival") + pl.Series(rng.integers(1_000, 120_000, dup.size)))
    return pl.concat([ev, resent]).sort("arrival", "event_id", maintain_order=True)


def _encoding_tables(
    sessions: pl.DataFrame, clients: pl.DataFrame, rng: np.random.Generator
) -> dict[str, pl.DataFrame]:
    """Lookup tables joined onto events when they are encoded: sessions, clients, products, event type names."""
    session_ids = _session_ids(sessions, rng)
    return {
        "sid": sessions.select("sid", "client", "start", "stop").with_columns(
            session_ids.alias("session_id")
        ),
        "client": _client_json(clients),
        "product": _product_catalog()
        .with_row_index("product")
        .with_columns(pl.col("product").cast(pl.Int32)),
        "etype": pl.DataFrame(
            {"etype": range(len(EVENT_TYPES)), "event_type": EVENT_TYPES},
            schema_overrides={"etype": pl.Int8},
        ),
    }


def _encode_events(ev: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
    """One JSON record per row, in Pinpoint's event-stream shape (keys in the documented order)."""
    df = ev
    for key, table in tables.items():  # "sid" first: it brings the "client" key for the next join
        df = df.join(table, on=key, how="left", maintain_order="left")
    t = pl.col("etype")

    def q(expr: pl.Expr | str) -> pl.Expr:
        expr = pl.col(expr) if isinstance(expr, str) else expr
        return pl.concat_str(pl.lit('"'), expr, pl.lit('"'))

    def num(expr: pl.Expr | str) -> pl.Expr:
        expr = pl.col(expr) if isinstance(expr, str) else expr
        return expr.cast(pl.Float64).cast(pl.String)

    product_attrs = pl.concat_str(
        pl.lit('{"product_id":'), q("product_id"), pl.lit(',"category":'), q("category"), pl.lit("}")
    )
    attributes = (
        pl.when(t.is_in([_EV_VIEW, _EV_CART, _EV_CHECKOUT]))
        .then(product_attrs)
        .when(t == _EV_PURCHASE)
        .then(
            pl.concat_str(
                pl.lit('{"_currency":"USD","_product_id":'),
                q("product_id"),
                pl.lit(',"_store":'),
                q("store"),
                pl.lit(',"_transaction_id":"txn-'),
                pl.col("txn"),
                pl.lit('"}'),
            )
        )
        .when(t == _EV_SEARCH)
        .then(
            pl.concat_str(
                pl.lit('{"outcome":'),
                q(pl.when(pl.col("m2") == 0).then(pl.lit("no_results")).otherwise(pl.lit("results"))),
                pl.lit("}"),
            )
        )
        .when(t == _EV_LEVEL)
        .then(pl.concat_str(pl.lit('{"level":'), q(pl.col("quantity").cast(pl.String)), pl.lit("}")))
        .when(t.is_in([_EV_SIGN_IN, _EV_SIGN_UP, _EV_AUTH_FAIL]))
        .then(pl.concat_str(pl.lit('{"method":'), q("auth_method"), pl.lit("}")))
        .otherwise(pl.lit("{}"))
    )
    metrics = (
        pl.when(t == _EV_PURCHASE)
        .then(
            pl.concat_str(
                pl.lit('{"_quantity":'), num("quantity"), pl.lit(',"_item_price":'), num("price"), pl.lit("}")
            )
        )
        .when(t == _EV_CART)
        .then(pl.concat_str(pl.lit('{"price":'), num("price"), pl.lit("}")))
        .when(t == _EV_SEARCH)
        .then(
            pl.concat_str(
                pl.lit('{"query_length":'), num("m1"), pl.lit(',"results":'), num("m2"), pl.lit("}")
            )
        )
        .when(t == _EV_LEVEL)
        .then(
            pl.concat_str(
                pl.lit('{"score":'), num("m1"), pl.lit(',"duration_seconds":'), num("m2"), pl.lit("}")
            )
        )
        .otherwise(pl.lit("{}"))
    )
    session = pl.concat_str(
        pl.lit('{"session_id":'),
        q("session_id"),
        pl.lit(',"start_timestamp":'),
        pl.col("start").cast(pl.String),
        pl.when(t == _EV_STOP)
        .then(pl.concat_str(pl.lit(',"stop_timestamp":'), pl.col("stop").cast(pl.String)))
        .otherwise(pl.lit("")),
        pl.lit("}"),
    )
    line = pl.concat_str(
        pl.lit('{"event_type":'),
        q("event_type"),
        pl.lit(',"event_timestamp":'),
        pl.col("ts").cast(pl.String),
        pl.lit(',"arrival_timestamp":'),
        pl.col("arrival").cast(pl.String),
        pl.lit(',"event_version":"3.1","application":'),
        pl.col("application_json"),
        pl.lit(',"client":{"client_id":'),
        q("Id"),
        pl.lit('},"device":'),
        pl.col("device_json"),
        pl.lit(',"session":'),
        session,
        pl.lit(',"attributes":'),
        attributes,
        pl.lit(',"metrics":'),
        metrics,
        pl.lit(f',"awsAccountId":"{AWS_ACCOUNT_ID}","event_id":'),
        q("event_id"),
        pl.lit("}"),
    ).alias("line")
    return df.select(line).to_series()


def _client_json(clients: pl.DataFrame) -> pl.DataFrame:
    """Per-client `application` and `device` objects, JSON-encoded once, plus per-client attribute values."""
    web = pl.col("_web")
    ios = pl.col("_ios")
    browser_weights = [i for i, b in enumerate(BROWSERS) for _ in range(b[3])]
    browsers = pl.DataFrame(
        {
            "browser": range(len(BROWSERS)),
            "browser_make": [b[0] for b in BROWSERS],
            "browser_model": [b[1] for b in BROWSERS],
            "browser_version": [b[2] for b in BROWSERS],
        }
    )
    df = (
        clients.with_row_index("client")
        .with_columns(
            pl.col("client").cast(pl.Int64),
            (pl.int_range(pl.len()) % len(browser_weights))
            .replace_strict(list(range(len(browser_weights))), browser_weights)
            .alias("browser"),
        )
        .join(browsers, on="browser", how="left", maintain_order="left")
    )

    def by_platform(
        web_value: pl.Expr | str, ios_value: pl.Expr | str, android_value: pl.Expr | str
    ) -> pl.Expr:
        as_expr = [pl.lit(v) if isinstance(v, str) else v for v in (web_value, ios_value, android_value)]
        return pl.when(web).then(as_expr[0]).when(ios).then(as_expr[1]).otherwise(as_expr[2])

    app_version = pl.col("Demographic.AppVersion")
    application = pl.struct(
        pl.lit(APP_ID).alias("app_id"),
        pl.lit("Demo Shop").alias("title"),
        by_platform(APP_VERSIONS[-1][0], app_version, app_version).alias("version_name"),
        by_platform("shop.example", "com.example.demoshop", "com.example.demoshop").alias("package_name"),
        pl.struct(
            by_platform("aws-amplify-js", "aws-sdk-iOS", "aws-sdk-android").alias("name"),
            by_platform("6.6.2", "2.36.7", "2.77.0").alias("version"),
        ).alias("sdk"),
    )
    locale = pl.col("Demographic.Locale")
    device = pl.struct(
        pl.struct(
            locale.alias("code"),
            locale.str.split("_").list.get(1).alias("country"),
            locale.str.split("_").list.get(0).alias("language"),
        ).alias("locale"),
        by_platform(pl.col("browser_make"), pl.col("Demographic.Make"), pl.col("Demographic.Make")).alias(
            "make"
        ),
        by_platform(pl.col("browser_model"), pl.col("Demographic.Model"), pl.col("Demographic.Model")).alias(
            "model"
        ),
        pl.struct(
            by_platform("web", "ios", "android").alias("name"),
            by_platform(
                pl.col("browser_version"),
                pl.col("Demographic.PlatformVersion"),
                pl.col("Demographic.PlatformVersion"),
            ).alias("version"),
        ).alias("platform"),
    )
    return df.select(
        "client",
        "Id",
        application.struct.json_encode().alias("application_json"),
        device.struct.json_encode().alias("device_json"),
        by_platform("password", "apple", "google").alias("auth_method"),
        by_platform(STORES[2], STORES[0], STORES[1]).alias("store"),
    )


def _session_ids(sessions: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Amplify-style session ids: 8 random hex characters, then the start as yyyyMMdd-HHmmssSSS."""
    prefix = _random_strings(rng, sessions.height, 8, b"0123456789abcdef")
    stamp = pl.from_epoch(sessions["start"], time_unit="ms").dt.strftime("%Y%m%d-%H%M%S%3f")
    return prefix + "-" + stamp


def _event_counts(ev: pl.DataFrame, n_sessions: int, n_purchases: int) -> dict:
    if ev.height == 0:
        return {"events": 0, "unique_events": 0, "duplicate_events": 0, "sessions": 0, "event_types": {}}
    unique = ev["event_id"].n_unique()
    per_type = ev.unique("event_id", keep="first", maintain_order=True)["etype"].value_counts().sort("etype")
    return {
        "events": ev.height,
        "unique_events": unique,
        "duplicate_events": ev.height - unique,
        "sessions": n_sessions,
        "purchases": n_purchases,
        "event_types": {
            EVENT_TYPES[t]: int(k) for t, k in zip(per_type["etype"], per_type["count"], strict=True)
        },
    }


def _write_hourly_files(chunks: Iterable[pl.DataFrame], root: Path) -> tuple[Path, ...]:
    """Write JSON lines (with their arrival ``hour`` since the epoch, in order) to one gzip file per hour, as
    Firehose names them; fixed gzip headers (no name, mtime 0) so the bytes depend only on content."""
    if root.exists():
        shutil.rmtree(root)
    written: list[Path] = []
    current: tuple[int, Any, Any] | None = None  # (hour, raw file, gzip stream)
    try:
        for chunk in chunks:
            for (hour,), part in chunk.group_by("hour", maintain_order=True):
                if current is None or current[0] != hour:
                    if current is not None:
                        current[2].close()
                        current[1].close()
                    at = datetime.fromtimestamp(int(hour) * 3600, UTC)
                    folder = root / at.strftime("%Y/%m/%d/%H")
                    folder.mkdir(parents=True, exist_ok=True)
                    path = (
                        folder / f"workbench-demo-stream-1-{at:%Y-%m-%d-%H-00-00}-{len(written) + 1:05d}.gz"
                    )
                    raw = path.open("wb")
                    current = (
                        int(hour),
                        raw,
                        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0, filename=""),
                    )
                    written.append(path)
                part.select("line").write_csv(current[2], include_header=False, quote_style="never")
    finally:
        if current is not None:
            current[2].close()
            current[1].close()
    return tuple(written)


# ---------------------------------------------------------------------------------------------------------
# Small helpers and derived tables
# ---------------------------------------------------------------------------------------------------------


def _window_ms(days: int, end_date: date) -> tuple[int, int]:
    """[start, end) of the activity window in Unix ms: `days` whole UTC days ending on `end_date`."""
    end = datetime(end_date.year, end_date.month, end_date.day, tzinfo=UTC) + timedelta(days=1)
    start = end - timedelta(days=days)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _iso_seconds(ms: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series(ms), time_unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _weighted_choice(rng: np.random.Generator, table: tuple, n: int) -> np.ndarray:
    """Indices into `table`, whose rows end with a weight."""
    w = np.array([row[-1] for row in table], dtype=np.float64)
    return rng.choice(len(table), n, p=w / w.sum())


def _random_strings(rng: np.random.Generator, n: int, length: int, alphabet: bytes) -> pl.Series:
    chars = np.frombuffer(alphabet, dtype=np.uint8)[
        rng.integers(0, len(alphabet), (n, length), dtype=np.uint8)
    ]
    return pl.Series(np.ascontiguousarray(chars).view(f"S{length}").ravel()).cast(pl.String)


def _uuid_strings(rng: np.random.Generator, n: int) -> pl.Series:
    h = _random_strings(rng, n, 32, b"0123456789abcdef")
    return pl.select(
        pl.concat_str(
            [
                h.str.slice(0, 8),
                h.str.slice(8, 4),
                h.str.slice(12, 4),
                h.str.slice(16, 4),
                h.str.slice(20, 12),
            ],
            separator="-",
        )
    ).to_series()


def _ragged_lists(values, idx: np.ndarray) -> pl.Series:
    """A list-of-strings Series, row i holding `values[j]` for the non-negative j in `idx[i]` (in order)."""
    keep = idx >= 0
    offsets = np.r_[0, np.cumsum(keep.sum(axis=1))].astype(np.int32)
    flat = pa.array(np.asarray(values, dtype=object)[idx[keep]].tolist(), type=pa.string())
    return pl.Series(pa.ListArray.from_arrays(pa.array(offsets), flat)).cast(pl.List(pl.String))


def _columns(frame: pl.DataFrame) -> dict[str, pl.Series]:
    return {s.name: s for s in frame.get_columns()}


def _lookup(values, idx: np.ndarray, missing: np.ndarray | None = None) -> pl.Series:
    """`values[idx]` as a Polars string Series (null where `missing`), without building Python strings."""
    table = pl.Series(list(values), dtype=pl.String)
    return table.gather(idx if missing is None else _nullable_index(idx, missing))


def _nullable_index(idx: np.ndarray, missing: np.ndarray) -> pl.Series:
    """Gather indices with nulls where `missing`; gathering with a null index gives a null row."""
    return pl.select(
        pl.when(pl.Series(missing)).then(None).otherwise(pl.Series(idx, dtype=pl.Int64))
    ).to_series()


def _str_series(values: np.ndarray) -> pl.Series:
    """A Polars string Series from a numpy array of str (object arrays may hold None for missing values)."""
    if values.dtype == object:
        return pl.Series(values.tolist(), dtype=pl.String)
    return pl.Series(values, dtype=pl.String)


def _progress_reporter(enabled: bool) -> Callable[[str], None]:
    began = time.perf_counter()

    def report(message: str) -> None:
        if enabled:
            print(f"demo data: {message} ({time.perf_counter() - began:.1f} s)", file=sys.stderr, flush=True)

    return report
