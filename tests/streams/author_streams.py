"""Write the recorded CAP streams and their expectation files.

Run from the repository root: ``.venv/bin/python -m tests.streams.author_streams``.
The output is deterministic; the committed files are its output, and
``tests/cap/test_streams.py`` checks that they are in sync with this script.

Every alert here is authored by hand for cinealert (not copied from a feed). Dates are
absolute around 2026-11-23; ``cinealert replay --retime`` shifts them to "now".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
STREAMS_DIR = REPO / "tests" / "streams"
DEMO_PATH = REPO / "daemon" / "data" / "demo-stream.jsonl"

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
FORMAT = "cinealert.stream/1"

KST = timezone(timedelta(hours=9), "KST")
JST = timezone(timedelta(hours=9), "JST")
CET = timezone(timedelta(hours=1), "CET")
EST = timezone(timedelta(hours=-5), "EST")
CST = timezone(timedelta(hours=-6), "CST")
PST = timezone(timedelta(hours=-8), "PST")
CHN = timezone(timedelta(hours=8), "CST+8")
UTC0 = UTC
BASE = datetime(2026, 11, 23, 0, 0, tzinfo=UTC0)

RENDER = ["rendered", "cached"]
REPLACEABLE = ["rendered", "cached", "cancelled"]


def stamp(moment: datetime) -> str:
    """CAP date-time: seconds precision with an explicit zone; UTC written as -00:00."""
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


@dataclass(frozen=True)
class InfoSpec:
    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    area: str
    center: tuple[float, float]
    codes: tuple[tuple[str, str], ...] = ()
    description: str = ""
    instruction: str = ""
    sender_name: str = ""
    response: str = ""
    expires_h: float = 3.0


@dataclass(frozen=True)
class AlertSpec:
    identifier: str
    sender: str
    sent: datetime
    infos: tuple[InfoSpec, ...]
    hazard: str
    status_expect: Sequence[str] = field(default_factory=lambda: list(RENDER))
    status: str = "Actual"
    msg_type: str = "Alert"
    references: tuple[AlertSpec, ...] = ()
    note: str = ""

    @property
    def reference(self) -> str:
        return f"{self.sender},{self.identifier},{stamp(self.sent)}"


def polygon(center: tuple[float, float], half: float = 0.15) -> str:
    lat, lon = center
    ring = [
        (lat - half, lon - half),
        (lat - half, lon + half),
        (lat + half, lon + half),
        (lat + half, lon - half),
        (lat - half, lon - half),
    ]
    return " ".join(f"{y:.4f},{x:.4f}" for y, x in ring)


def info_xml(info: InfoSpec, sent: datetime) -> str:
    parts = [
        "<info>",
        f"<language>{escape(info.language)}</language>",
        f"<category>{info.category}</category>",
        f"<event>{escape(info.event)}</event>",
    ]
    if info.response:
        parts.append(f"<responseType>{info.response}</responseType>")
    parts += [
        f"<urgency>{info.urgency}</urgency>",
        f"<severity>{info.severity}</severity>",
        f"<certainty>{info.certainty}</certainty>",
    ]
    for name, value in info.codes:
        parts.append(
            f"<eventCode><valueName>{escape(name)}</valueName>"
            f"<value>{escape(value)}</value></eventCode>"
        )
    parts += [
        f"<effective>{stamp(sent)}</effective>",
        f"<expires>{stamp(sent + timedelta(hours=info.expires_h))}</expires>",
    ]
    if info.sender_name:
        parts.append(f"<senderName>{escape(info.sender_name)}</senderName>")
    parts.append(f"<headline>{escape(info.headline)}</headline>")
    if info.description:
        parts.append(f"<description>{escape(info.description)}</description>")
    if info.instruction:
        parts.append(f"<instruction>{escape(info.instruction)}</instruction>")
    parts += [
        "<area>",
        f"<areaDesc>{escape(info.area)}</areaDesc>",
        f"<polygon>{polygon(info.center)}</polygon>",
        "</area>",
        "</info>",
    ]
    return "".join(parts)


def alert_xml(alert: AlertSpec, *, drop: str = "") -> str:
    """The CAP 1.2 document of ``alert``; ``drop`` leaves out one required element."""
    elements = [
        ("identifier", escape(alert.identifier)),
        ("sender", escape(alert.sender)),
        ("sent", stamp(alert.sent)),
        ("status", alert.status),
        ("msgType", alert.msg_type),
        ("scope", "Public"),
    ]
    body = "".join(f"<{name}>{value}</{name}>" for name, value in elements if name != drop)
    if alert.references:
        refs = " ".join(ref.reference for ref in alert.references)
        body += f"<references>{refs}</references>"
    if alert.note:
        body += f"<note>{escape(alert.note)}</note>"
    body += "".join(info_xml(info, alert.sent) for info in alert.infos)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="{CAP_NS}">{body}</alert>\n'


@dataclass
class Stream:
    """Messages and expectations of one stream, built in order."""

    description: str
    recorded_at: datetime
    lines: list[dict[str, object]] = field(default_factory=list)
    expect: list[dict[str, object]] = field(default_factory=list)

    def _line_number(self) -> int:
        # Line 1 is the header; messages start at line 2.
        return len(self.lines) + 2

    def alert(self, t: float, alert: AlertSpec, source: str) -> AlertSpec:
        self.expect.append(
            {
                "line": self._line_number(),
                "identifier": alert.identifier,
                "sender": alert.sender,
                "sent": stamp(alert.sent),
                "hazard": alert.hazard,
                "expect": "record",
                "status": list(alert.status_expect),
            }
        )
        self.lines.append(
            {
                "t": t,
                "key": alert.identifier,
                "headers": [["source", source]],
                "value": alert_xml(alert),
            }
        )
        return alert

    def duplicate(self, t: float, alert: AlertSpec, source: str) -> None:
        self.expect.append(
            {
                "line": self._line_number(),
                "identifier": alert.identifier,
                "sender": alert.sender,
                "sent": stamp(alert.sent),
                "hazard": alert.hazard,
                "expect": "duplicate",
                "status": [],
            }
        )
        self.lines.append(
            {
                "t": t,
                "key": alert.identifier,
                "headers": [["source", source]],
                "value": alert_xml(alert),
            }
        )

    def malformed(
        self,
        t: float,
        why: str,
        *,
        text: str | None = None,
        raw: bytes | None = None,
        identifier: str | None = None,
        sender: str | None = None,
    ) -> None:
        self.expect.append(
            {
                "line": self._line_number(),
                "identifier": identifier,
                "sender": sender,
                "sent": None,
                "hazard": None,
                "expect": "dlq",
                "status": [],
                "why": why,
            }
        )
        line: dict[str, object] = {"t": t, "key": identifier, "headers": [["source", "fuzz"]]}
        if raw is not None:
            line["value_b64"] = base64.b64encode(raw).decode("ascii")
        else:
            line["value"] = text
        self.lines.append(line)

    def write(self, path: Path) -> None:
        header = {
            "format": FORMAT,
            "description": self.description,
            "recorded_at": stamp(self.recorded_at).replace("-00:00", "Z"),
        }
        times = [float(str(line["t"])) for line in self.lines]
        if times != sorted(times) or times[0] < 0:
            raise ValueError(f"{path}: times must start at >= 0 and not decrease: {times}")
        rows = [header, *self.lines]
        path.write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )
        expect_path = path.with_name(path.name.removesuffix(".jsonl") + ".expect.json")
        expect_path.write_text(
            json.dumps(self.expect, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


# --- hostile and broken inputs ------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE alert [\n<!ENTITY a "ha">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(8))
    + f']>\n<alert xmlns="{CAP_NS}"><identifier>&i;</identifier></alert>\n'
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<alert xmlns="{CAP_NS}"><identifier>XXE-1</identifier><sender>&xxe;</sender>'
    "<sent>2026-11-23T01:00:00-00:00</sent><status>Actual</status><msgType>Alert</msgType>"
    "<scope>Public</scope></alert>\n"
)
BINARY = bytes([0xFF, 0xFE, 0xFD, 0x00, 0x01, 0x02, 0xC3, 0x28, 0xA0, 0xA1, 0x80, 0x81]) * 8


def truncated(alert: AlertSpec) -> str:
    text = alert_xml(alert)
    return text[: len(text) // 2]


# --- reusable info blocks ---------------------------------------------------------------


def nws(
    event: str, code: str, headline: str, area: str, center: tuple[float, float], **kw: object
) -> InfoSpec:
    return InfoSpec(
        language="en-US",
        category=str(kw.pop("category", "Met")),
        event=event,
        urgency=str(kw.pop("urgency", "Expected")),
        severity=str(kw.pop("severity", "Severe")),
        certainty=str(kw.pop("certainty", "Likely")),
        headline=headline,
        area=area,
        center=center,
        codes=(("SAME", code), ("NationalWeatherService", code)),
        sender_name="NWS",
        description=str(
            kw.pop("description", f"The National Weather Service has issued a {event}.")
        ),
        instruction=str(kw.pop("instruction", "Monitor local media and follow official advice.")),
        expires_h=float(str(kw.pop("expires_h", 3.0))),
    )


def kma(
    event: str, headline: str, area: str, center: tuple[float, float], **kw: object
) -> InfoSpec:
    return InfoSpec(
        language="ko-KR",
        category=str(kw.pop("category", "Met")),
        event=event,
        urgency=str(kw.pop("urgency", "Immediate")),
        severity=str(kw.pop("severity", "Severe")),
        certainty=str(kw.pop("certainty", "Observed")),
        headline=headline,
        area=area,
        center=center,
        sender_name="기상청",
        description=str(kw.pop("description", f"{area}에 {event}가 발표되었습니다.")),
        instruction=str(kw.pop("instruction", "안전한 곳으로 대피하고 방송을 청취하십시오.")),
        codes=tuple(kw.pop("codes", ())),
        expires_h=float(str(kw.pop("expires_h", 3.0))),
    )


def other(
    language: str, event: str, headline: str, area: str, center: tuple[float, float], **kw: object
) -> InfoSpec:
    return InfoSpec(
        language=language,
        category=str(kw.pop("category", "Met")),
        event=event,
        urgency=str(kw.pop("urgency", "Expected")),
        severity=str(kw.pop("severity", "Severe")),
        certainty=str(kw.pop("certainty", "Likely")),
        headline=headline,
        area=area,
        center=center,
        codes=tuple(kw.pop("codes", ())),
        expires_h=float(str(kw.pop("expires_h", 3.0))),
    )


SEOUL = (37.5665, 126.9780)
BUSAN = (35.1796, 129.0756)
GANGNEUNG = (37.7519, 128.8761)
POHANG = (36.0190, 129.3435)
JEJU = (33.4996, 126.5312)
HOUSTON = (29.7604, -95.3698)
TULSA = (36.1540, -95.9928)
DENVER = (39.7392, -104.9903)
LA = (34.0522, -118.2437)
SENDAI = (38.2682, 140.8694)
COLOGNE = (50.9375, 6.9603)
LYON = (45.7640, 4.8357)
VALENCIA = (39.4699, -0.3763)
SUNDSVALL = (62.3908, 17.3069)
AKUREYRI = (65.6835, -18.0878)
GUANGZHOU = (23.1291, 113.2644)

KMA = "kma.alerts@korea.example.kr"
NWS = "w-nws.webmaster@noaa.gov"
USGS = "eqnotify@usgs.example.gov"
DWD = "opendata@dwd.example.de"
JMA = "alerts@jma.example.jp"


# --- storm night ------------------------------------------------------------------------


def storm_night() -> Stream:
    start = BASE.astimezone(KST).replace(hour=2, minute=0)  # 02:00 KST = 17:00 UTC 22 Nov
    s = Stream("storm night: typhoon landfall in Korea and severe weather elsewhere", start)

    def at(seconds: float, zone: timezone) -> datetime:
        # Sent when it was recorded: the stream's t, in the sender's own zone.
        return (start + timedelta(seconds=seconds)).astimezone(zone)

    typhoon = s.alert(
        0.0,
        AlertSpec(
            "KR.KMA.20261123.0200.TY01",
            KMA,
            at(0.0, KST),
            (
                kma(
                    "태풍경보",
                    "제주도 전역 태풍경보 발표",
                    "제주특별자치도",
                    JEJU,
                    severity="Extreme",
                ),
                other(
                    "en-US",
                    "Typhoon Warning",
                    "Typhoon warning for all of Jeju",
                    "Jeju",
                    JEJU,
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                ),
            ),
            "typhoon",
            REPLACEABLE,
        ),
        "kma",
    )
    rain = s.alert(
        0.4,
        AlertSpec(
            "KR.KMA.20261123.0201.HR01",
            KMA,
            at(0.4, KST),
            (
                kma(
                    "호우경보",
                    "부산 호우경보 발표",
                    "부산광역시",
                    BUSAN,
                    codes=(("TTAS.KO-07.0046/R5 재난 종류 코드", "HRW"),),
                ),
            ),
            "heavy_rain",
        ),
        "kma",
    )
    s.alert(
        0.5,
        AlertSpec(
            "KR.KMA.20261123.0201.WN01",
            KMA,
            at(0.5, KST),
            (
                kma(
                    "강풍주의보",
                    "강릉 강풍주의보 발표",
                    "강원특별자치도 강릉시",
                    GANGNEUNG,
                    severity="Moderate",
                    urgency="Expected",
                ),
            ),
            "storm",
        ),
        "kma",
    )
    s.duplicate(0.7, rain, "kma")
    s.alert(
        0.9,
        AlertSpec(
            "KR.KMA.20261123.0202.LS01",
            KMA,
            at(0.9, KST),
            (
                kma(
                    "산사태경보",
                    "포항 산사태경보 발령",
                    "경상북도 포항시",
                    POHANG,
                    category="Geo",
                    severity="Extreme",
                ),
                other(
                    "en-US",
                    "Landslide Warning",
                    "Landslide warning for Pohang",
                    "Pohang",
                    POHANG,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                ),
                other(
                    "zh-CN",
                    "山体滑坡警报",
                    "浦项市发布山体滑坡警报",
                    "浦项市",
                    POHANG,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "landslide",
        ),
        "kma",
    )
    s.malformed(
        1.2, "not well-formed XML (truncated in the middle of an element)", text=truncated(rain)
    )
    flood = s.alert(
        2.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.flw.1",
            NWS,
            at(2.0, CST),
            (
                nws(
                    "Flood Warning",
                    "FLW",
                    "Flood Warning issued for Harris County",
                    "Harris, TX",
                    HOUSTON,
                ),
            ),
            "flood",
            REPLACEABLE,
        ),
        "nws",
    )
    tornado = s.alert(
        2.1,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.tor.1",
            NWS,
            at(2.1, CST),
            (
                nws(
                    "Tornado Warning",
                    "TOR",
                    "Tornado Warning for Tulsa County until 11:30 PM",
                    "Tulsa, OK",
                    TULSA,
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                    expires_h=0.75,
                ),
            ),
            "tornado",
        ),
        "nws",
    )
    s.alert(
        2.15,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.svr.1",
            NWS,
            at(2.15, CST),
            (
                nws(
                    "Severe Thunderstorm Warning",
                    "SVR",
                    "Severe Thunderstorm Warning for Wagoner County",
                    "Wagoner, OK",
                    (35.96, -95.37),
                    urgency="Immediate",
                    expires_h=1.0,
                ),
            ),
            "storm",
        ),
        "nws",
    )
    s.duplicate(2.2, tornado, "nws")
    s.duplicate(2.25, tornado, "nws")
    s.malformed(2.6, "binary, not XML and not UTF-8", raw=BINARY)
    flood_update = s.alert(
        3.5,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.flw.2",
            NWS,
            at(3.5, CST),
            (
                nws(
                    "Flood Warning",
                    "FLW",
                    "Flood Warning extended for Harris County",
                    "Harris, TX",
                    HOUSTON,
                    urgency="Immediate",
                    expires_h=6.0,
                ),
            ),
            "flood",
            REPLACEABLE,
            msg_type="Update",
            references=(flood,),
        ),
        "nws",
    )
    s.alert(
        4.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.rmt.1",
            NWS,
            at(4.0, CST),
            (
                nws(
                    "Required Monthly Test",
                    "RMT",
                    "Required Monthly Test",
                    "Oklahoma",
                    TULSA,
                    category="Safety",
                    urgency="Unknown",
                    severity="Minor",
                    certainty="Unknown",
                ),
            ),
            "none",
            ["skipped"],
            status="Test",
        ),
        "nws",
    )
    s.alert(
        4.3,
        AlertSpec(
            "DE.DWD.PVW.20261122.1715.STARKREGEN",
            DWD,
            at(4.3, CET),
            (
                other(
                    "de-DE",
                    "STARKREGEN",
                    "Amtliche WARNUNG vor STARKREGEN",
                    "Stadt Köln",
                    COLOGNE,
                    codes=(("II", "63"), ("GROUP", "RAIN")),
                ),
                other(
                    "en-GB",
                    "heavy rain",
                    "Official WARNING of HEAVY RAIN",
                    "City of Cologne",
                    COLOGNE,
                    codes=(("II", "63"), ("GROUP", "RAIN")),
                ),
                other(
                    "fr-FR",
                    "fortes pluies",
                    "ALERTE officielle pour FORTES PLUIES",
                    "Ville de Cologne",
                    COLOGNE,
                    codes=(("II", "63"), ("GROUP", "RAIN")),
                ),
            ),
            "heavy_rain",
        ),
        "dwd",
    )
    s.alert(
        4.35,
        AlertSpec(
            "DE.DWD.PVW.20261122.1716.ORKAN",
            DWD,
            at(4.35, CET),
            (
                other(
                    "de-DE",
                    "ORKANARTIGE BÖEN",
                    "Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN",
                    "Kreis Nordfriesland",
                    (54.6, 8.9),
                    severity="Extreme",
                    codes=(("II", "55"), ("GROUP", "WIND")),
                ),
            ),
            "storm",
        ),
        "dwd",
    )
    s.malformed(
        4.8,
        "CAP without the required <sender> element",
        text=alert_xml(
            AlertSpec(
                "DE.DWD.PVW.20261122.1717.NOSENDER",
                DWD,
                at(4.8, CET),
                (
                    other(
                        "de-DE",
                        "STURMBÖEN",
                        "Amtliche WARNUNG vor STURMBÖEN",
                        "Kreis Aurich",
                        (53.47, 7.48),
                    ),
                ),
                "storm",
            ),
            drop="sender",
        ),
        identifier="DE.DWD.PVW.20261122.1717.NOSENDER",
    )
    s.alert(
        6.0,
        AlertSpec(
            "KR.KMA.20261123.0230.EX01",
            "cbs.drill@korea.example.kr",
            at(6.0, KST),
            (
                kma(
                    "민방위 훈련",
                    "민방위 대피 훈련 실시",
                    "서울특별시",
                    SEOUL,
                    category="Safety",
                    urgency="Future",
                    severity="Minor",
                    certainty="Possible",
                ),
            ),
            "none",
            ["skipped"],
            status="Exercise",
            note="2026년 민방위 대피 훈련",
        ),
        "kma",
    )
    s.alert(
        6.2,
        AlertSpec(
            "KR.KMA.20261123.0231.EX02",
            "cbs.drill@korea.example.kr",
            at(6.2, KST),
            (
                kma(
                    "지진",
                    "지진 대피 훈련: 규모 6.0 지진 가정",
                    "서울특별시",
                    SEOUL,
                    category="Geo",
                ),
            ),
            "earthquake",
            ["skipped"],
            status="Exercise",
        ),
        "kma",
    )
    s.malformed(6.5, "internal DTD with nested entities (billion laughs)", text=BILLION_LAUGHS)
    s.malformed(6.6, "external entity pointing at a local file (XXE)", text=XXE, identifier="XXE-1")
    # A burst: a strong earthquake and its tsunami warnings within a second.
    s.alert(
        8.0,
        AlertSpec(
            "KR.KMA.20261123.0240.EQ01",
            KMA,
            at(8.0, KST),
            (
                kma(
                    "지진",
                    "경북 포항시 북구 북쪽 8km 지역 규모 5.4 지진 발생",
                    "경상북도",
                    POHANG,
                    category="Geo",
                    severity="Extreme",
                    codes=(("TTAS.KO-07.0046/R5 재난 종류 코드", "EQW"),),
                ),
                other(
                    "en-US",
                    "Earthquake",
                    "M5.4 earthquake 8 km N of Pohang",
                    "Gyeongsangbuk-do",
                    POHANG,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                ),
            ),
            "earthquake",
        ),
        "kma",
    )
    tsunami = s.alert(
        8.3,
        AlertSpec(
            "KR.KMA.20261123.0241.TS01",
            KMA,
            at(8.3, KST),
            (
                kma(
                    "지진해일경보",
                    "동해안 지진해일경보 발령",
                    "강원·경북 동해안",
                    GANGNEUNG,
                    category="Geo",
                    severity="Extreme",
                ),
                other(
                    "en-US",
                    "Tsunami Warning",
                    "Tsunami warning for the east coast",
                    "East coast",
                    GANGNEUNG,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Likely",
                ),
                other(
                    "ja-JP",
                    "津波警報",
                    "韓国東海岸に津波警報",
                    "韓国東海岸",
                    GANGNEUNG,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "tsunami",
            REPLACEABLE,
        ),
        "kma",
    )
    s.alert(
        8.4,
        AlertSpec(
            "JP.JMA.20261123.0242.TSU",
            JMA,
            at(8.4, JST),
            (
                other(
                    "ja-JP",
                    "津波注意報",
                    "日本海沿岸に津波注意報",
                    "日本海沿岸",
                    (39.7, 140.1),
                    category="Geo",
                    urgency="Expected",
                    severity="Moderate",
                ),
            ),
            "tsunami",
        ),
        "jma",
    )
    s.duplicate(8.5, tsunami, "kma")
    s.alert(
        8.6,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.eq.1",
            USGS,
            at(8.6, PST),
            (
                nws(
                    "Earthquake",
                    "EQW",
                    "M4.1 earthquake 5 km SE of Ridgecrest, CA",
                    "Kern County, CA",
                    (35.6, -117.6),
                    category="Geo",
                    urgency="Past",
                    severity="Moderate",
                    certainty="Observed",
                ),
            ),
            "earthquake",
        ),
        "usgs",
    )
    s.alert(
        9.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.cae.1",
            "amber@doj.example.gov",
            at(9.0, PST),
            (
                nws(
                    "Child Abduction Emergency",
                    "CAE",
                    "AMBER Alert in Los Angeles County",
                    "Los Angeles, CA",
                    LA,
                    category="Rescue",
                    urgency="Immediate",
                ),
                other(
                    "es-US",
                    "Abducción de Niño",
                    "Alerta Amber en el condado de Los Ángeles",
                    "Los Ángeles, CA",
                    LA,
                    category="Rescue",
                    urgency="Immediate",
                    codes=(("SAME", "CAE"),),
                ),
            ),
            "none",
            ["skipped"],
        ),
        "ipaws",
    )
    s.alert(
        10.0,
        AlertSpec(
            "SE.SMHI.20261122.1745.FLOOD",
            "smhi@smhi.example.se",
            at(10.0, CET),
            (
                other(
                    "sv-SE",
                    "Höga flöden",
                    "Varning för höga flöden i Ljungan",
                    "Västernorrlands län",
                    SUNDSVALL,
                    severity="Moderate",
                ),
            ),
            "flood",
        ),
        "smhi",
    )
    s.alert(
        10.2,
        AlertSpec(
            "IS.IMO.20261122.1746.SNOW",
            "vedur@vedur.example.is",
            at(10.2, UTC0),
            (
                other(
                    "is-IS",
                    "Veðurviðvörun: Snjókoma",
                    "Appelsínugul viðvörun: mikil snjókoma",
                    "Norðurland eystra",
                    AKUREYRI,
                    codes=(("awareness_type", "2; snow-ice"),),
                ),
                other(
                    "en-US",
                    "Weather Warning: Snowfall",
                    "Orange warning: heavy snowfall",
                    "Northeast Iceland",
                    AKUREYRI,
                    codes=(("awareness_type", "2; snow-ice"),),
                ),
            ),
            "heavy_snow",
        ),
        "imo",
    )
    s.alert(
        10.4,
        AlertSpec(
            "ES.AEMET.20261122.1747.CALIMA",
            "aemet@aemet.example.es",
            at(10.4, CET),
            (
                other(
                    "es-ES",
                    "Aviso rojo por lluvias intensas",
                    "Aviso rojo: lluvias torrenciales en el litoral de Valencia",
                    "Litoral sur de Valencia",
                    VALENCIA,
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "heavy_rain",
        ),
        "aemet",
    )
    s.alert(
        10.6,
        AlertSpec(
            "FR.MF.20261122.1748.CRUES",
            "vigilance@meteo.example.fr",
            at(10.6, CET),
            (
                other(
                    "fr-FR",
                    "Vigilance crues",
                    "Vigilance orange crues pour le Rhône",
                    "Rhône",
                    LYON,
                ),
            ),
            "flood",
        ),
        "meteofrance",
    )
    s.alert(
        11.0,
        AlertSpec(
            "CN.CMA.20261123.0049.RAIN",
            "cma@cma.example.cn",
            at(11.0, CHN),
            (
                other(
                    "zh-CN",
                    "暴雨红色预警",
                    "广州市气象台发布暴雨红色预警信号",
                    "广州市",
                    GUANGZHOU,
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "heavy_rain",
        ),
        "cma",
    )
    s.alert(
        12.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.hmw.1",
            NWS,
            at(12.0, CST),
            (
                nws(
                    "Hazardous Materials Warning",
                    "HMW",
                    "Hazardous materials release near Pasadena, TX",
                    "Harris, TX",
                    HOUSTON,
                    category="CBRNE",
                    urgency="Immediate",
                ),
            ),
            "none",
            ["skipped"],
        ),
        "nws",
    )
    flood_second_update = s.alert(
        12.5,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.flw.3",
            NWS,
            at(12.5, CST),
            (
                nws(
                    "Flood Warning",
                    "FLW",
                    "Flood Warning for Harris County remains in effect",
                    "Harris, TX",
                    HOUSTON,
                    urgency="Immediate",
                    severity="Extreme",
                    expires_h=6.0,
                ),
            ),
            "flood",
            REPLACEABLE,
            msg_type="Update",
            references=(flood, flood_update),
        ),
        "nws",
    )
    s.malformed(13.0, "empty message value", text="")
    s.malformed(
        13.1,
        "an HTML error page instead of CAP",
        text="<html><head><title>502 Bad Gateway</title></head><body>502</body></html>",
    )
    # Late delivery: sent six hours before the night began and long expired on arrival.
    s.alert(
        14.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.wsw.late",
            NWS,
            at(-21600, CST),
            (
                nws(
                    "Winter Storm Warning",
                    "WSW",
                    "Winter Storm Warning for Denver metro",
                    "Denver, CO",
                    DENVER,
                    expires_h=1.0,
                ),
            ),
            "heavy_snow",
            ["expired"],
        ),
        "nws",
    )
    s.alert(
        15.0,
        AlertSpec(
            "KR.KMA.20261123.0300.TS02",
            KMA,
            at(15.0, KST),
            (
                kma(
                    "지진해일경보 해제",
                    "동해안 지진해일경보 해제",
                    "강원·경북 동해안",
                    GANGNEUNG,
                    category="Geo",
                    urgency="Past",
                    severity="Minor",
                    certainty="Observed",
                ),
            ),
            "tsunami",
            ["cancelled"],
            msg_type="Cancel",
            references=(tsunami,),
        ),
        "kma",
    )
    s.alert(
        15.5,
        AlertSpec(
            "KR.KMA.20261123.0301.TY02",
            KMA,
            at(15.5, KST),
            (
                kma(
                    "태풍경보",
                    "제주도 태풍경보 유지, 최대순간풍속 45m/s",
                    "제주특별자치도",
                    JEJU,
                    severity="Extreme",
                    expires_h=6.0,
                ),
            ),
            "typhoon",
            msg_type="Update",
            references=(typhoon,),
        ),
        "kma",
    )
    s.alert(
        16.0,
        AlertSpec(
            "KR.KMA.20261123.0302.ACK",
            KMA,
            at(16.0, KST),
            (),
            "none",
            ["skipped"],
            msg_type="Ack",
            references=(typhoon,),
        ),
        "kma",
    )
    s.alert(
        16.5,
        AlertSpec(
            "KR.KMA.20261123.0303.SN01",
            KMA,
            at(16.5, KST),
            (
                kma(
                    "대설주의보",
                    "강원 산지 대설주의보 발표",
                    "강원 산지",
                    GANGNEUNG,
                    urgency="Expected",
                    severity="Moderate",
                ),
            ),
            "heavy_snow",
        ),
        "kma",
    )
    s.alert(
        17.0,
        AlertSpec(
            "KR.KMA.20261123.0304.CW01",
            KMA,
            at(17.0, KST),
            (
                kma(
                    "한파주의보",
                    "서울 한파주의보 발표",
                    "서울특별시",
                    SEOUL,
                    urgency="Expected",
                    severity="Moderate",
                    certainty="Likely",
                ),
            ),
            "cold",
        ),
        "kma",
    )
    s.alert(
        17.8,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.flw.cancel",
            NWS,
            at(17.8, CST),
            (
                nws(
                    "Flood Warning",
                    "FLW",
                    "The Flood Warning for Harris County is cancelled",
                    "Harris, TX",
                    HOUSTON,
                    urgency="Past",
                    severity="Minor",
                    certainty="Observed",
                ),
            ),
            "flood",
            ["cancelled"],
            msg_type="Cancel",
            references=(flood, flood_update, flood_second_update),
        ),
        "nws",
    )
    s.alert(
        18.0,
        AlertSpec(
            "AU.BOM.20261123.0410.HEAT",
            "bom.warnings@bom.example.gov.au",
            at(18.0, timezone(timedelta(hours=11), "AEDT")),
            (
                other(
                    "en-AU",
                    "Severe Heatwave Warning",
                    "Severe heatwave conditions for the Western Sydney region",
                    "Western Sydney",
                    (-33.8, 150.9),
                    category="Met",
                    urgency="Expected",
                    severity="Severe",
                    expires_h=12.0,
                ),
            ),
            "heat",
        ),
        "bom",
    )
    s.alert(
        18.5,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.storm-night.frw.1",
            NWS,
            at(18.5, PST),
            (
                nws(
                    "Fire Warning",
                    "FRW",
                    "Fire Warning: wildfire spreading near Santa Clarita",
                    "Los Angeles, CA",
                    (34.39, -118.54),
                    category="Fire",
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "wildfire",
        ),
        "nws",
    )
    s.duplicate(19.0, tornado, "nws")
    s.alert(
        19.5,
        AlertSpec(
            "KR.KMA.20261123.0306.FR01",
            "fire.seoul@korea.example.kr",
            at(19.5, KST),
            (
                kma(
                    "화재",
                    "강남구 대형 건물 화재 발생, 인근 주민 대피",
                    "서울특별시 강남구",
                    (37.4979, 127.0276),
                    category="Fire",
                    severity="Severe",
                ),
            ),
            "fire",
        ),
        "kma",
    )
    s.alert(
        20.0,
        AlertSpec(
            "KR.KMA.20261123.0307.HT01",
            KMA,
            at(20.0, KST),
            (
                kma(
                    "가뭄",
                    "제주 가뭄 심각 단계 발령",
                    "제주특별자치도",
                    JEJU,
                    category="Env",
                    urgency="Future",
                    severity="Moderate",
                    certainty="Likely",
                    expires_h=12.0,
                ),
            ),
            "drought",
        ),
        "kma",
    )
    return s


# --- priority burst -----------------------------------------------------------------------


def priority_burst() -> Stream:
    start = BASE.replace(hour=3)
    s = Stream("priority burst: 30 Future/Minor alerts, then 4 Immediate/Extreme", start)
    low_events = [
        ("Frost Advisory", "FRY", "cold"),
        ("Winter Weather Advisory", "WSA", "heavy_snow"),
        ("Flood Watch", "FLA", "flood"),
        ("High Wind Watch", "HWA", "storm"),
        ("Excessive Heat Watch", "EHA", "heat"),
        ("Hurricane Watch", "HUA", "typhoon"),
    ]
    for index in range(30):
        event, code, hazard = low_events[index % len(low_events)]
        s.alert(
            round(0.01 * index, 3),
            AlertSpec(
                f"urn:oid:2.49.0.1.840.0.burst.low.{index:02d}",
                NWS,
                start.astimezone(EST),
                (
                    nws(
                        event,
                        code,
                        f"{event} for zone {index:02d}",
                        f"Zone {index:02d}",
                        (40.0 + index * 0.05, -75.0),
                        urgency="Future",
                        severity="Minor",
                        certainty="Possible",
                        expires_h=8.0,
                    ),
                ),
                hazard,
            ),
            "nws",
        )
    urgent = [
        ("Tornado Warning", "TOR", "tornado", TULSA),
        ("Flash Flood Warning", "FFW", "flood", HOUSTON),
        ("Tsunami Warning", "TSW", "tsunami", (46.2, -123.9)),
        ("Earthquake Warning", "EQW", "earthquake", LA),
    ]
    for index, (event, code, hazard, center) in enumerate(urgent):
        s.alert(
            round(0.5 + 0.01 * index, 3),
            AlertSpec(
                f"urn:oid:2.49.0.1.840.0.burst.urgent.{index}",
                NWS,
                (start + timedelta(seconds=1)).astimezone(EST),
                (
                    nws(
                        event,
                        code,
                        f"{event}: take action now",
                        "Urgent zone",
                        center,
                        category="Geo" if hazard in ("tsunami", "earthquake") else "Met",
                        urgency="Immediate",
                        severity="Extreme",
                        certainty="Observed",
                        expires_h=1.0,
                    ),
                ),
                hazard,
            ),
            "nws",
        )
    return s


# --- demo ---------------------------------------------------------------------------------


def demo() -> Stream:
    start = BASE.replace(hour=1)
    s = Stream("cinealert demo: the seven hazards of the papers and more, in five languages", start)

    def at(seconds: float, zone: timezone) -> datetime:
        # Sent when it was recorded: the stream's t, in the sender's own zone.
        return (start + timedelta(seconds=seconds)).astimezone(zone)

    flood = s.alert(
        0.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.ffw.1",
            NWS,
            at(0.0, CST),
            (
                nws(
                    "Flash Flood Warning",
                    "FFW",
                    "Flash Flood Warning for Harris County",
                    "Harris, TX",
                    HOUSTON,
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                ),
            ),
            "flood",
            REPLACEABLE,
        ),
        "nws",
    )
    s.alert(
        0.5,
        AlertSpec(
            "KR.KMA.DEMO.LS01",
            KMA,
            at(0.5, KST),
            (
                kma(
                    "산사태경보",
                    "강원 산간 산사태경보 발령",
                    "강원특별자치도",
                    GANGNEUNG,
                    category="Geo",
                ),
                other(
                    "en-US",
                    "Landslide Warning",
                    "Landslide warning in Gangwon mountains",
                    "Gangwon",
                    GANGNEUNG,
                    category="Geo",
                    urgency="Immediate",
                ),
            ),
            "landslide",
        ),
        "kma",
    )
    s.alert(
        1.0,
        AlertSpec(
            "ES.AEMET.DEMO.SEQUIA",
            "aemet@aemet.example.es",
            at(1.0, CET),
            (
                other(
                    "es-ES",
                    "Sequía extrema",
                    "Declarada sequía extrema en la cuenca del Júcar",
                    "Cuenca del Júcar",
                    VALENCIA,
                    category="Env",
                    urgency="Future",
                    severity="Severe",
                    expires_h=24.0,
                ),
            ),
            "drought",
        ),
        "aemet",
    )
    s.alert(
        1.5,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.frw.1",
            NWS,
            at(1.5, PST),
            (
                nws(
                    "Fire Warning",
                    "FRW",
                    "Fire Warning: wildfire near Malibu",
                    "Los Angeles, CA",
                    (34.03, -118.78),
                    category="Fire",
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                ),
            ),
            "wildfire",
        ),
        "nws",
    )
    s.alert(
        2.0,
        AlertSpec(
            "KR.KMA.DEMO.SN01",
            KMA,
            at(2.0, KST),
            (
                kma(
                    "대설경보",
                    "강원 산지 대설경보 발표",
                    "강원 산지",
                    GANGNEUNG,
                    urgency="Expected",
                ),
            ),
            "heavy_snow",
        ),
        "kma",
    )
    typhoon = s.alert(
        2.5,
        AlertSpec(
            "KR.KMA.DEMO.TY01",
            KMA,
            at(2.5, KST),
            (
                kma("태풍경보", "제주도 태풍경보 발표", "제주특별자치도", JEJU, severity="Extreme"),
                other(
                    "en-US",
                    "Typhoon Warning",
                    "Typhoon warning for Jeju",
                    "Jeju",
                    JEJU,
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "typhoon",
            REPLACEABLE,
        ),
        "kma",
    )
    s.alert(
        3.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.eq.1",
            USGS,
            at(3.0, PST),
            (
                nws(
                    "Earthquake",
                    "EQW",
                    "M6.1 earthquake near Los Angeles",
                    "Los Angeles, CA",
                    LA,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                ),
            ),
            "earthquake",
        ),
        "usgs",
    )
    s.alert(
        3.5,
        AlertSpec(
            "DE.DWD.DEMO.STARKREGEN",
            DWD,
            at(3.5, CET),
            (
                other(
                    "de-DE",
                    "STARKREGEN",
                    "Amtliche WARNUNG vor STARKREGEN",
                    "Stadt Köln",
                    COLOGNE,
                    codes=(("GROUP", "RAIN"),),
                ),
            ),
            "heavy_rain",
        ),
        "dwd",
    )
    s.alert(
        4.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.tor.1",
            NWS,
            at(4.0, CST),
            (
                nws(
                    "Tornado Warning",
                    "TOR",
                    "Tornado Warning for Tulsa County",
                    "Tulsa, OK",
                    TULSA,
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                ),
            ),
            "tornado",
        ),
        "nws",
    )
    s.alert(
        4.5,
        AlertSpec(
            "KR.KMA.DEMO.TS01",
            KMA,
            at(4.5, KST),
            (
                kma(
                    "지진해일경보",
                    "동해안 지진해일경보 발령",
                    "강원 동해안",
                    GANGNEUNG,
                    category="Geo",
                    severity="Extreme",
                ),
                other(
                    "ja-JP",
                    "津波警報",
                    "韓国東海岸に津波警報",
                    "韓国東海岸",
                    GANGNEUNG,
                    category="Geo",
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "tsunami",
        ),
        "kma",
    )
    s.alert(
        5.0,
        AlertSpec(
            "FR.MF.DEMO.CANICULE",
            "vigilance@meteo.example.fr",
            at(5.0, CET),
            (
                other(
                    "fr-FR",
                    "Canicule",
                    "Vigilance rouge canicule sur le Rhône",
                    "Rhône",
                    LYON,
                    category="Met",
                    urgency="Expected",
                    severity="Extreme",
                ),
            ),
            "heat",
        ),
        "meteofrance",
    )
    s.alert(
        5.5,
        AlertSpec(
            "KR.KMA.DEMO.CW01",
            KMA,
            at(5.5, KST),
            (kma("한파경보", "서울 한파경보 발표", "서울특별시", SEOUL, urgency="Expected"),),
            "cold",
        ),
        "kma",
    )
    s.alert(
        6.0,
        AlertSpec(
            "DE.DWD.DEMO.ORKAN",
            DWD,
            at(6.0, CET),
            (
                other(
                    "de-DE",
                    "ORKANBÖEN",
                    "Amtliche UNWETTERWARNUNG vor ORKANBÖEN",
                    "Kreis Nordfriesland",
                    (54.6, 8.9),
                    severity="Extreme",
                    codes=(("GROUP", "WIND"),),
                ),
            ),
            "storm",
        ),
        "dwd",
    )
    s.alert(
        6.5,
        AlertSpec(
            "KR.KMA.DEMO.FR01",
            "fire.seoul@korea.example.kr",
            at(6.5, KST),
            (
                kma(
                    "화재",
                    "강남구 건물 화재 발생",
                    "서울특별시 강남구",
                    (37.4979, 127.0276),
                    category="Fire",
                ),
            ),
            "fire",
        ),
        "kma",
    )
    s.alert(
        7.0,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.ffw.2",
            NWS,
            at(7.0, CST),
            (
                nws(
                    "Flash Flood Warning",
                    "FFW",
                    "Flash Flood Warning extended for Harris County",
                    "Harris, TX",
                    HOUSTON,
                    urgency="Immediate",
                    severity="Extreme",
                    certainty="Observed",
                    expires_h=5.0,
                ),
            ),
            "flood",
            msg_type="Update",
            references=(flood,),
        ),
        "nws",
    )
    s.alert(
        7.5,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.rmt.1",
            NWS,
            at(7.5, CST),
            (
                nws(
                    "Required Monthly Test",
                    "RMT",
                    "Required Monthly Test",
                    "Texas",
                    HOUSTON,
                    category="Safety",
                    urgency="Unknown",
                    severity="Minor",
                    certainty="Unknown",
                ),
            ),
            "none",
            ["skipped"],
            status="Test",
        ),
        "nws",
    )
    s.malformed(8.0, "not well-formed XML (truncated)", text=truncated(typhoon))
    s.alert(
        8.5,
        AlertSpec(
            "urn:oid:2.49.0.1.840.0.demo.cae.1",
            "amber@doj.example.gov",
            at(8.5, PST),
            (
                nws(
                    "Child Abduction Emergency",
                    "CAE",
                    "AMBER Alert in Los Angeles County",
                    "Los Angeles, CA",
                    LA,
                    category="Rescue",
                    urgency="Immediate",
                ),
            ),
            "none",
            ["skipped"],
        ),
        "ipaws",
    )
    s.alert(
        9.0,
        AlertSpec(
            "KR.KMA.DEMO.TY02",
            KMA,
            at(9.0, KST),
            (
                kma(
                    "태풍경보 해제",
                    "제주도 태풍경보 해제",
                    "제주특별자치도",
                    JEJU,
                    urgency="Past",
                    severity="Minor",
                ),
            ),
            "typhoon",
            ["cancelled"],
            msg_type="Cancel",
            references=(typhoon,),
        ),
        "kma",
    )
    s.alert(
        9.5,
        AlertSpec(
            "CN.CMA.DEMO.RAIN",
            "cma@cma.example.cn",
            at(9.5, CHN),
            (
                other(
                    "zh-CN",
                    "暴雨红色预警",
                    "广州市气象台发布暴雨红色预警信号",
                    "广州市",
                    GUANGZHOU,
                    urgency="Immediate",
                    severity="Extreme",
                ),
            ),
            "heavy_rain",
        ),
        "cma",
    )
    s.alert(
        10.0,
        AlertSpec(
            "SE.SMHI.DEMO.FLOOD",
            "smhi@smhi.example.se",
            at(10.0, CET),
            (
                other(
                    "sv-SE",
                    "Höga flöden",
                    "Varning för höga flöden i Ljungan",
                    "Västernorrlands län",
                    SUNDSVALL,
                    severity="Moderate",
                ),
            ),
            "flood",
        ),
        "smhi",
    )
    s.alert(
        10.0,
        AlertSpec(
            "IS.IMO.DEMO.WIND",
            "vedur@vedur.example.is",
            at(10.0, UTC0),
            (
                other(
                    "is-IS",
                    "Veðurviðvörun: Vindur",
                    "Gul viðvörun: hvassviðri á Norðurlandi",
                    "Norðurland eystra",
                    AKUREYRI,
                    severity="Moderate",
                    codes=(("awareness_type", "1; Wind"),),
                ),
            ),
            "storm",
        ),
        "imo",
    )
    return s


def write_all(streams_dir: Path, demo_path: Path) -> None:
    """Write every stream and its expectation file."""
    streams_dir.mkdir(parents=True, exist_ok=True)
    storm_night().write(streams_dir / "storm-night.jsonl")
    priority_burst().write(streams_dir / "priority-burst.jsonl")
    demo().write(demo_path)


if __name__ == "__main__":
    write_all(STREAMS_DIR, DEMO_PATH)
