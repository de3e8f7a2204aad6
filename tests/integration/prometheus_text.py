"""A strict parser of Prometheus's text exposition format (version 0.0.4), for the metrics
tests: it refuses what a scraper could misread (a sample before its TYPE, a family split in
two, a repeated series, a malformed label, a histogram whose buckets do not add up)."""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class ExpositionError(ValueError):
    pass


def _labels(text, position, line):
    """Parses {a="x",b="y"} from text[position] == '{'; returns (labels, position after '}')."""
    labels = {}
    position += 1
    while True:
        if text[position:position + 1] == "}":
            return labels, position + 1
        match = LABEL_NAME.match(text, position)
        if not match or text[match.end():match.end() + 2] != '="':
            raise ExpositionError(f"bad label in: {line}")
        name = match.group()
        position = match.end() + 2
        value = []
        while True:
            if position >= len(text):
                raise ExpositionError(f"unterminated label value in: {line}")
            char = text[position]
            if char == "\\":
                escaped = text[position + 1:position + 2]
                if escaped not in ("\\", '"', "n"):
                    raise ExpositionError(f"bad escape in: {line}")
                value.append("\n" if escaped == "n" else escaped)
                position += 2
            elif char == '"':
                position += 1
                break
            elif char == "\n":
                raise ExpositionError(f"newline in a label value: {line}")
            else:
                value.append(char)
                position += 1
        if name in labels:
            raise ExpositionError(f"label {name} twice in: {line}")
        labels[name] = "".join(value)
        if text[position:position + 1] == ",":
            position += 1
        elif text[position:position + 1] != "}":
            raise ExpositionError(f"expected , or }} in: {line}")


def _number(text, line):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise ExpositionError(f"bad value in: {line}") from None


def _family_of(name, families):
    if name in families:
        return name
    for family, info in families.items():
        for suffix in SUFFIXES.get(info["type"], ()):
            if name == family + suffix:
                return family
    raise ExpositionError(f"sample {name} has no TYPE before it")


def parse(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the text does not end with a newline")
    families = {}
    finished = set()
    current = None
    series = set()
    for line in text.split("\n")[:-1]:
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ExpositionError(f"bad metric name: {line}")
                info = families.setdefault(name, {"type": "untyped", "help": None, "samples": [], "typed": False})
                if parts[1] == "TYPE":
                    kind = parts[3] if len(parts) == 4 else ""
                    if kind not in TYPES or info["typed"] or info["samples"]:
                        raise ExpositionError(f"bad or late TYPE: {line}")
                    info["type"], info["typed"] = kind, True
                else:
                    info["help"] = parts[3] if len(parts) == 4 else ""
            continue
        match = NAME.match(line)
        if not match:
            raise ExpositionError(f"bad sample: {line}")
        name = match.group()
        labels, position = ({}, match.end())
        if line[position:position + 1] == "{":
            labels, position = _labels(line, position, line)
        fields = line[position:].split()
        if not line[position:position + 1] == " " or len(fields) not in (1, 2):
            raise ExpositionError(f"bad sample: {line}")
        value = _number(fields[0], line)
        family = _family_of(name, families)
        if family != current:
            if family in finished:
                raise ExpositionError(f"family {family} is split: {line}")
            if current is not None:
                finished.add(current)
            current = family
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise ExpositionError(f"series repeated: {line}")
        series.add(key)
        kind = families[family]["type"]
        if kind == "counter" and not value >= 0:
            raise ExpositionError(f"negative counter: {line}")
        families[family]["samples"].append((name, labels, value))
    for family, info in families.items():
        if info["type"] == "histogram":
            _check_histogram(family, info["samples"])
    return families


def _check_histogram(family, samples):
    groups = {}
    for name, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        group = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if name == family + "_bucket":
            if "le" not in labels:
                raise ExpositionError(f"{family}: a bucket without le")
            group["buckets"].append((_number(labels["le"], family), value))
        elif name == family + "_sum":
            group["sum"] = value
        elif name == family + "_count":
            group["count"] = value
    for rest, group in groups.items():
        bounds = [bound for bound, _ in group["buckets"]]
        counts = [count for _, count in group["buckets"]]
        if not bounds or bounds[-1] != math.inf or bounds != sorted(bounds):
            raise ExpositionError(f"{family}{dict(rest)}: buckets must rise to +Inf")
        if counts != sorted(counts):
            raise ExpositionError(f"{family}{dict(rest)}: bucket counts must not fall")
        if group["count"] != counts[-1] or group["sum"] is None:
            raise ExpositionError(f"{family}{dict(rest)}: _count must equal the +Inf bucket, with a _sum")


def value(families, name, **labels):
    """The value of one sample (0 when the series is absent)."""
    family = _family_of(name, families)
    for sample_name, sample_labels, sample_value in families[family]["samples"]:
        if sample_name == name and sample_labels == labels:
            return sample_value
    return 0
