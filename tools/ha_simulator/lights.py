"""Light attributes by Home Assistant's rules (2025.4).

A light's attributes depend on its supported colour modes and features, not
on its state: a light that is off keeps every key, with ``null`` values
(``color_mode``, ``brightness``, ``color_temp_kelvin``, ``hs_color`` ...).
What the light will be like when it comes back on (brightness, colour,
effect) is kept apart, in ``Home.light_memory``, as a real light keeps it.
"""

import colorsys
import math

EFFECT = 4  # LightEntityFeature.EFFECT
COLOR_MODES = {"hs", "xy", "rgb", "rgbw", "rgbww"}
BRIGHTNESS_MODES = COLOR_MODES | {"color_temp", "brightness", "white"}
# The attributes computed here; any other key (friendly_name, icon,
# supported_features ...) is kept as it is, after these.
MANAGED = (
    "min_color_temp_kelvin",
    "max_color_temp_kelvin",
    "min_mireds",
    "max_mireds",
    "effect_list",
    "supported_color_modes",
    "effect",
    "color_mode",
    "brightness",
    "color_temp_kelvin",
    "color_temp",
    "hs_color",
    "rgb_color",
    "xy_color",
    "rgbw_color",
    "rgbww_color",
)
DEFAULT_MEMORY = {
    "brightness": 180,
    "kelvin": 3000,
    "hs": (345.0, 75.0),
    "rgbw": (255, 0, 0, 255),
    "rgbww": (255, 0, 0, 255, 0),
    "effect": None,
}


def mired(kelvin):
    return math.floor(1000000 / kelvin)


def kelvin_to_rgb(kelvin):
    """Approximate colour of a black body (good enough for a simulator)."""
    temp = kelvin / 100
    if temp <= 66:
        red = 255.0
        green = 99.47 * math.log(temp) - 161.12
        blue = 0.0 if temp <= 19 else 138.52 * math.log(temp - 10) - 305.04
    else:
        red = 329.7 * (temp - 60) ** -0.1332
        green = 288.12 * (temp - 60) ** -0.0755
        blue = 255.0
    return [max(0, min(255, round(c))) for c in (red, green, blue)]


def rgb_to_hs(rgb):
    hue, sat, _val = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return [round(hue * 360, 3), round(sat * 100, 3)]


def hs_to_rgb(hs):
    rgb = colorsys.hsv_to_rgb(hs[0] / 360, hs[1] / 100, 1)
    return [round(c * 255) for c in rgb]


def rgb_to_xy(rgb):
    """sRGB -> CIE 1931 xy (gamma removed, D65 matrix)."""

    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb)
    x = red * 0.4124 + green * 0.3576 + blue * 0.1805
    y = red * 0.2126 + green * 0.7152 + blue * 0.0722
    z = red * 0.0193 + green * 0.1192 + blue * 0.9505
    total = x + y + z
    if not total:
        return [0.0, 0.0]
    return [round(x / total, 3), round(y / total, 3)]


def _colors(mode, memory):
    """hs/rgb/xy (and rgbw/rgbww) of an ``on`` light in colour ``mode``."""
    if mode == "color_temp":
        rgb = kelvin_to_rgb(memory["kelvin"])
        return {
            "hs_color": rgb_to_hs(rgb),
            "rgb_color": rgb,
            "xy_color": rgb_to_xy(rgb),
        }
    if mode in ("hs", "xy", "rgb"):
        hs = list(memory["hs"])
        rgb = hs_to_rgb(hs)
        return {"hs_color": hs, "rgb_color": rgb, "xy_color": rgb_to_xy(rgb)}
    if mode in ("rgbw", "rgbww"):
        raw = list(memory[mode])
        # the white channels lighten the colour
        white = sum(raw[3:]) / (len(raw) - 3)
        rgb = [min(255, round(c + (255 - c) * white / 255 / 2)) for c in raw[:3]]
        colors = {
            "hs_color": rgb_to_hs(rgb),
            "rgb_color": rgb,
            "xy_color": rgb_to_xy(rgb),
        }
        colors[f"{mode}_color"] = raw
        return colors
    return {}  # white, brightness, onoff: no colour


def light_attributes(attrs, on, memory):
    """The attributes of a light with ``attrs``' capabilities, on or off.

    ``attrs`` gives the capabilities (``supported_color_modes``,
    ``supported_features``, ``effect_list``, the colour temperature range)
    and the other keys to keep; ``memory`` what the light is like when on.
    """
    modes = sorted(attrs.get("supported_color_modes") or ["onoff"])
    features = int(attrs.get("supported_features") or 0)
    out = {}
    if "color_temp" in modes:
        low = attrs.get("min_color_temp_kelvin") or 2000
        high = attrs.get("max_color_temp_kelvin") or 6535
        out.update(
            min_color_temp_kelvin=low,
            max_color_temp_kelvin=high,
            min_mireds=mired(high),
            max_mireds=mired(low),
        )
    if features & EFFECT:
        out["effect_list"] = list(attrs.get("effect_list") or [])
    out["supported_color_modes"] = modes
    mode = (memory.get("color_mode") or modes[0]) if on else None
    if features & EFFECT:
        out["effect"] = memory.get("effect") if on else None
    out["color_mode"] = mode
    if BRIGHTNESS_MODES & set(modes):
        out["brightness"] = memory["brightness"] if mode in BRIGHTNESS_MODES else None
    if "color_temp" in modes:
        kelvin = memory["kelvin"] if mode == "color_temp" else None
        out["color_temp_kelvin"] = kelvin
        out["color_temp"] = mired(kelvin) if kelvin else None
    if (COLOR_MODES | {"color_temp"}) & set(modes):
        out.update(hs_color=None, rgb_color=None, xy_color=None)
        for extra in ("rgbw", "rgbww"):
            if extra in modes:
                out[f"{extra}_color"] = None
        if mode:
            out.update(_colors(mode, memory))
    for key, value in attrs.items():
        if key not in MANAGED:
            out[key] = value
    return out


def new_memory(modes, attrs=None):
    """A light's memory: its current look when it is on, else the defaults."""
    memory = dict(DEFAULT_MEMORY, color_mode=modes[0] if modes else "onoff")
    attrs = attrs or {}
    if attrs.get("color_mode"):
        memory["color_mode"] = attrs["color_mode"]
    if attrs.get("brightness"):
        memory["brightness"] = attrs["brightness"]
    if attrs.get("color_temp_kelvin"):
        memory["kelvin"] = attrs["color_temp_kelvin"]
    if attrs.get("hs_color") and memory["color_mode"] in ("hs", "xy", "rgb"):
        memory["hs"] = tuple(attrs["hs_color"])
    for extra in ("rgbw", "rgbww"):
        if attrs.get(f"{extra}_color"):
            memory[extra] = tuple(attrs[f"{extra}_color"])
    if attrs.get("effect"):
        memory["effect"] = attrs["effect"]
    return memory
