"""The demo's fixed data tables: cities, countries and their phone plans, names, devices, plans, interests,
versions, activity curves and event types, with the lookups parsed from them once at import.

The tables are text blocks or tuples so that they stay readable; `generator` draws from them. Changing any value
here changes every generated file (and the committed sample in ``data/sample/``).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl

APP_ID = "demo-app"
AWS_ACCOUNT_ID = "123456789012"
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "shop.example")
"""Every demo email address uses one of these reserved (RFC 2606) domains."""

# City | Region | Country | Latitude | Longitude | PostalCode | Timezone | UTC offset in minutes (summer time;
# it only shapes the hour-of-day curve) | weight (population-like, US-heavy) | area codes (US, Canada, Brazil).
CITY_TABLE = """
Seattle|Washington|US|47.6|-122.3|98101|America/Los_Angeles|-420|3.5|206 425
San Francisco|California|US|37.8|-122.4|94103|America/Los_Angeles|-420|4.0|415 628
Los Angeles|California|US|34.1|-118.2|90012|America/Los_Angeles|-420|7.0|213 310 323
San Diego|California|US|32.7|-117.2|92101|America/Los_Angeles|-420|2.5|619 858
Portland|Oregon|US|45.5|-122.7|97205|America/Los_Angeles|-420|2.0|503 971
Denver|Colorado|US|39.7|-105.0|80202|America/Denver|-360|2.5|303 720
Phoenix|Arizona|US|33.4|-112.1|85004|America/Phoenix|-420|3.0|602 480
Dallas|Texas|US|32.8|-96.8|75201|America/Chicago|-300|4.0|214 972
Austin|Texas|US|30.3|-97.7|78701|America/Chicago|-300|2.5|512 737
Houston|Texas|US|29.8|-95.4|77002|America/Chicago|-300|4.0|713 832
Chicago|Illinois|US|41.9|-87.6|60601|America/Chicago|-300|6.0|312 773
Minneapolis|Minnesota|US|45.0|-93.3|55401|America/Chicago|-300|2.0|612
Nashville|Tennessee|US|36.2|-86.8|37203|America/Chicago|-300|1.5|615
Atlanta|Georgia|US|33.7|-84.4|30303|America/New_York|-240|4.0|404 678
Miami|Florida|US|25.8|-80.2|33130|America/New_York|-240|3.5|305 786
New York|New York|US|40.7|-74.0|10001|America/New_York|-240|10.0|212 646 718 917
Boston|Massachusetts|US|42.4|-71.1|02108|America/New_York|-240|3.5|617 857
Washington|District of Columbia|US|38.9|-77.0|20001|America/New_York|-240|3.0|202
Philadelphia|Pennsylvania|US|40.0|-75.2|19103|America/New_York|-240|3.0|215 267
Detroit|Michigan|US|42.3|-83.0|48226|America/Detroit|-240|2.0|313
Honolulu|Hawaii|US|21.3|-157.9|96813|Pacific/Honolulu|-600|0.8|808
Toronto|Ontario|CA|43.7|-79.4|M5H 2N2|America/Toronto|-240|3.0|416 647
Vancouver|British Columbia|CA|49.3|-123.1|V6B 1A1|America/Vancouver|-420|1.5|604 778
Montréal|Quebec|CA|45.5|-73.6|H3B 1A7|America/Toronto|-240|2.0|514 438
London|England|GB|51.5|-0.1|EC1A 1BB|Europe/London|60|5.0|
Manchester|England|GB|53.5|-2.2|M1 1AE|Europe/London|60|1.5|
Dublin|Leinster|IE|53.3|-6.3|D02 X285|Europe/Dublin|60|1.0|
Berlin|Berlin|DE|52.5|13.4|10115|Europe/Berlin|120|2.0|
München|Bavaria|DE|48.1|11.6|80331|Europe/Berlin|120|1.2|
Paris|Île-de-France|FR|48.9|2.4|75001|Europe/Paris|120|2.5|
Lyon|Auvergne-Rhône-Alpes|FR|45.8|4.8|69001|Europe/Paris|120|0.8|
Madrid|Comunidad de Madrid|ES|40.4|-3.7|28013|Europe/Madrid|120|1.5|
Amsterdam|North Holland|NL|52.4|4.9|1012 JS|Europe/Amsterdam|120|1.0|
Stockholm|Stockholm County|SE|59.3|18.1|111 20|Europe/Stockholm|120|0.8|
São Paulo|São Paulo|BR|-23.6|-46.6|01310-100|America/Sao_Paulo|-180|2.0|11
Rio de Janeiro|Rio de Janeiro|BR|-22.9|-43.2|20040-020|America/Sao_Paulo|-180|1.0|21
Mexico City|Ciudad de México|MX|19.4|-99.1|06000|America/Mexico_City|-360|2.0|
Mumbai|Maharashtra|IN|19.1|72.9|400001|Asia/Kolkata|330|1.5|
Bengaluru|Karnataka|IN|13.0|77.6|560001|Asia/Kolkata|330|1.2|
Tokyo|Tokyo|JP|35.7|139.7|100-0005|Asia/Tokyo|540|2.0|
Osaka|Osaka|JP|34.7|135.5|530-0001|Asia/Tokyo|540|0.8|
Sydney|New South Wales|AU|-33.9|151.2|2000|Australia/Sydney|660|1.5|
Melbourne|Victoria|AU|-37.8|145.0|3000|Australia/Melbourne|660|1.2|
Singapore|Singapore|SG|1.3|103.8|018989|Asia/Singapore|480|0.8|
Seoul|Seoul|KR|37.6|127.0|04524|Asia/Seoul|540|1.0|
"""

# Country | calling code | locales:weight | name group | share of app users on iOS |
# mobile prefixes of the national significant number | random digits after the prefix | national format.
# Every number these plans make passes `phonenumbers.is_valid_number`. US, Canada and Brazil put the city's
# area code first (US/Canada then add an exchange 2xx-9xx without N11; Brazil adds the prefix). In the
# national format "{a:b}" is a slice of the national significant number; the rest is literal.
COUNTRY_TABLE = """
US|1|en_US:0.92 es_US:0.08|en|0.57||4|({0:3}) {3:6}-{6:10}
CA|1|en_CA:0.80 fr_CA:0.20|en|0.55||4|({0:3}) {3:6}-{6:10}
GB|44|en_GB:1|en|0.50|771 772 773 774 775 776 777|7|0{0:4} {4:10}
IE|353|en_IE:1|en|0.45|85 86 87|7|0{0:2} {2:5} {5:9}
DE|49|de_DE:0.95 en_GB:0.05|de|0.38|151 152 157|8|0{0:3} {3:11}
FR|33|fr_FR:1|fr|0.33|60 61 62 64|7|0{0:1} {1:3} {3:5} {5:7} {7:9}
ES|34|es_ES:1|es|0.25|6|8|{0:3} {3:5} {5:7} {7:9}
NL|31|nl_NL:0.9 en_GB:0.1|nl|0.45|61 62 63 64 65|7|0{0:1} {1:9}
SE|46|sv_SE:0.9 en_GB:0.1|sv|0.50|70|7|0{0:2}-{2:5} {5:7} {7:9}
BR|55|pt_BR:1|pt|0.15|96 97 98 99|7|({0:2}) {2:7}-{7:11}
MX|52|es_MX:1|es|0.20|55|8|{0:2} {2:6} {6:10}
IN|91|en_IN:0.75 hi_IN:0.25|in|0.08|97 98 99|8|0{0:5} {5:10}
JP|81|ja_JP:1|ja|0.68|801 802 803 804 805 806 807 808 809 901 902 903 904 905 906 907 908 909|7|0{0:2}-{2:6}-{6:10}
AU|61|en_AU:1|en|0.55|40 41 42 43|7|0{0:3} {3:6} {6:9}
SG|65|en_SG:0.85 zh_SG:0.15|en|0.45|90 91 92 93 94 95 96|6|{0:4} {4:8}
KR|82|ko_KR:1|ko|0.30|102 103 104|7|0{0:2}-{2:6}-{6:10}
"""
CITY_LOCALE_OVERRIDE = {"Montréal": (("fr_CA", 0.75), ("en_CA", 0.25))}

# Name group | first names | last names. Accents stay in names and are stripped for email addresses.
NAME_TABLE = """
en|James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth Maria Jose Wei Priya Aisha Noah Olivia \
Liam Emma Ava Ethan Sofia Mateo Chloe Daniel Grace Kevin Hannah Omar Zoë|Smith Johnson Williams Brown Jones Garcia \
Miller Davis Rodriguez Martinez Nguyen Kim Patel Lee Walker Young King Wright Lopez Hill Green Adams Baker Nelson \
Carter O'Brien Chen Taylor Thomas Moore
de|Lukas Anna Leon Lena Finn Mia Jonas Emilia Paul Hannah Felix Marie Jürgen Sabine Maximilian|Müller Schmidt \
Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder
fr|Gabriel Louise Léo Jade Raphaël Emma Arthur Alice Hugo Chloé Lucas Inès Jules Camille Théo|Martin Bernard Dubois \
Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel Garnier
es|Hugo Lucía Martín Sofía Pablo Martina Alejandro María Daniel Julia Diego Valentina Santiago Camila Javier|García \
Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno
pt|Miguel Helena Arthur Alice Gael Laura Heitor Manuela Theo Valentina Davi Sophia Bernardo Isabella João|Silva \
Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins Carvalho Araújo
nl|Daan Emma Sem Julia Lucas Mila Levi Tess Finn Sophie Bram Noor|de_Jong Jansen de_Vries van_den_Berg van_Dijk \
Bakker Janssen Visser Smit Meijer de_Boer Mulder
sv|William Alice Liam Maja Noah Elsa Hugo Astrid Oscar Wilma Elias Ebba|Andersson Johansson Karlsson Nilsson \
Eriksson Larsson Olsson Persson Svensson Gustafsson Pettersson Jonsson
in|Aarav Ananya Vihaan Diya Arjun Saanvi Reyansh Aadhya Krishna Isha Rohan Kavya Aditya Priya Rahul|Sharma Verma \
Gupta Patel Singh Kumar Reddy Iyer Nair Mehta Joshi Rao Das Shah Bose
ja|Haruto Yui Sota Hina Yuto Aoi Riku Sakura Ren Mei Kaito Yuna|Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto \
Nakamura Kobayashi Kato Yoshida Yamada
ko|Min-jun Seo-yeon Ji-ho Ha-eun Do-yun Ji-woo Joon-ho Soo-ah Hyun-woo Yu-na|Kim Lee Park Choi Jung Kang Cho Yoon \
Jang Lim
"""

# Value | weight tables.
PLANS = (("free", 0.70), ("pro", 0.25), ("enterprise", 0.05))
SIGNUP_SOURCES = (("organic", 0.45), ("ads", 0.30), ("referral", 0.15), ("partner", 0.10))
LOYALTY_TIERS = ("bronze", "silver", "gold")
INTERESTS = (("Music", 1.6), ("Travel", 1.4), ("Sports", 1.3), ("Cooking", 1.1), ("Movies", 1.0),
             ("Gaming", 0.9), ("Books", 0.8), ("Fashion", 0.8), ("Science", 0.6), ("Finance", 0.5))  # fmt: skip
APP_VERSIONS = (("2.8.0", 1), ("2.9.3", 2), ("3.0.0", 3), ("3.0.4", 4), ("3.1.0", 6), ("3.1.2", 9),
                ("3.2.0", 14), ("3.2.1", 20))  # fmt: skip
IOS_VERSIONS = (("16.7", 1), ("17.5", 2), ("17.6", 3), ("18.0", 3), ("18.1", 4))
ANDROID_VERSIONS = (("12", 1), ("13", 2), ("14", 4), ("15", 2))

# Make | Model | ModelVersion | weight
DEVICE_TABLE = """
ios|Apple|iPhone 16 Pro|iPhone17,1|3.0
ios|Apple|iPhone 16|iPhone17,3|3.0
ios|Apple|iPhone 15|iPhone15,4|4.0
ios|Apple|iPhone 15 Pro|iPhone16,1|3.0
ios|Apple|iPhone 14|iPhone14,7|3.5
ios|Apple|iPhone 13|iPhone14,5|3.0
ios|Apple|iPhone SE|iPhone14,6|1.0
ios|Apple|iPad Air|iPad13,16|0.8
android|Samsung|Galaxy S24|SM-S921B|3.0
android|Samsung|Galaxy S23|SM-S911B|3.0
android|Samsung|Galaxy A54|SM-A546B|3.5
android|Samsung|Galaxy A15|SM-A155F|2.5
android|Google|Pixel 8|G9BQD|2.0
android|Google|Pixel 7a|GWKK3|1.5
android|Xiaomi|Redmi Note 13|23129RAA4G|2.5
android|Xiaomi|Xiaomi 14|23127PN0CG|1.0
android|OnePlus|OnePlus 12|CPH2581|1.0
android|Motorola|moto g54|XT2343-2|1.5
"""
# Web sessions: (make, model, platform version, weight).
BROWSERS = (
    ("Google", "Chrome", "129.0", 6),
    ("Apple", "Safari", "18.0", 3),
    ("Mozilla", "Firefox", "131.0", 1),
)

# Pinpoint's ChannelType values, in the order of the generator's channel codes.
CHANNELS = ("EMAIL", "SMS", "APNS", "GCM", "VOICE", "CUSTOM", "IN_APP")

PRODUCT_CATEGORIES = ("electronics", "books", "home", "beauty", "toys", "sports", "fashion", "grocery")
STORES = ("App Store", "Google Play", "Web")

# Local hour-of-day and weekday (Monday first) activity curves for sessions.
HOUR_CURVE = np.array([2.0, 1.2, 0.8, 0.6, 0.6, 0.9, 1.8, 3.2, 4.2, 4.5, 4.6, 4.8, 5.2, 5.0, 4.7, 4.6, 4.9,
                       5.6, 6.6, 7.6, 8.0, 7.2, 5.4, 3.5])  # fmt: skip
WEEKDAY_CURVE = np.array([0.90, 0.93, 1.0, 1.02, 1.10, 1.38, 1.30])

# The event types, in the order of the generator's event type codes.
EVENT_TYPES = (
    "_session.start", "_session.stop", "_session.pause", "_session.resume",
    "_userauth.sign_up", "_userauth.sign_in", "_userauth.auth_fail",
    "search", "product.view", "cart.add", "checkout.start", "_monetization.purchase", "level.complete",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Lookups parsed from the tables, in the shapes the generator's vectorised draws index
# ---------------------------------------------------------------------------------------------------------


def _parse_table(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.strip().splitlines()]


CITIES = [
    (name, region, country, float(lat), float(lon), postal, tz, int(offset), float(w), tuple(codes.split()))
    for name, region, country, lat, lon, postal, tz, offset, w, codes in _parse_table(CITY_TABLE)
]
COUNTRIES = {
    cc: (
        tuple((loc.split(":")[0], float(loc.split(":")[1])) for loc in locales.split()),
        group,
        float(ios_share),
    )
    for cc, _code, locales, group, ios_share, *_plan in _parse_table(COUNTRY_TABLE)
}
PHONE_PLANS = {
    cc: (tuple(prefixes.split()), int(digits), fmt)
    for cc, _code, _loc, _group, _ios, prefixes, digits, fmt in _parse_table(COUNTRY_TABLE)
}
COUNTRY_CALLING_CODES = {row[0]: row[1] for row in _parse_table(COUNTRY_TABLE)}
NAMES = {
    group: (tuple(firsts.split()), tuple(n.replace("_", " ") for n in lasts.split()))
    for group, firsts, lasts in _parse_table(NAME_TABLE)
}
IOS_DEVICES = tuple((m, mo, mv, float(w)) for p, m, mo, mv, w in _parse_table(DEVICE_TABLE) if p == "ios")
ANDROID_DEVICES = tuple(
    (m, mo, mv, float(w)) for p, m, mo, mv, w in _parse_table(DEVICE_TABLE) if p == "android"
)


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_name.lower() if ch.isalnum())


GROUPS = tuple(NAMES)
FIRST_NAMES = np.array([n for g in GROUPS for n in NAMES[g][0]], dtype=str)
LAST_NAMES = np.array([n for g in GROUPS for n in NAMES[g][1]], dtype=str)
FIRST_SLUGS = np.array([_slug(n) for n in FIRST_NAMES], dtype=str)
LAST_SLUGS = np.array([_slug(n) for n in LAST_NAMES], dtype=str)
GROUP_FIRST_SIZE = np.array([len(NAMES[g][0]) for g in GROUPS])
GROUP_LAST_SIZE = np.array([len(NAMES[g][1]) for g in GROUPS])
GROUP_FIRST_OFFSET = np.r_[0, np.cumsum(GROUP_FIRST_SIZE)[:-1]]
GROUP_LAST_OFFSET = np.r_[0, np.cumsum(GROUP_LAST_SIZE)[:-1]]
CITY_COUNTRY = np.array([c[2] for c in CITIES], dtype=str)
CITY_FRAME = pl.DataFrame(
    {
        "Location.City": [c[0] for c in CITIES],
        "Location.Country": [c[2] for c in CITIES],
        "Location.Latitude": [c[3] for c in CITIES],
        "Location.Longitude": [c[4] for c in CITIES],
        "Location.PostalCode": [c[5] for c in CITIES],
        "Location.Region": [c[1] for c in CITIES],
        "Demographic.Timezone": [c[6] for c in CITIES],
    }
)
LOCALES = sorted({loc for c in COUNTRIES.values() for loc, _ in c[0]})
CITY_OFFSET = np.array([c[7] for c in CITIES], dtype=np.int64)
CITY_NAME_GROUP = np.array([GROUPS.index(COUNTRIES[c[2]][1]) for c in CITIES])
CITY_IOS_SHARE = np.array([COUNTRIES[c[2]][2] for c in CITIES])
