"""Static content of the demo home: floors, areas, devices and entities."""

from .lights import DEFAULT_MEMORY, light_attributes

FLOORS = [("ground_floor", "Ground Floor", 0), ("first_floor", "First Floor", 1)]
AREAS = [
    ("living_room", "Living Room", "ground_floor"),
    ("kitchen", "Kitchen", "ground_floor"),
    ("hallway", "Hallway", "ground_floor"),
    ("garage", "Garage", "ground_floor"),
    ("office", "Office", "first_floor"),
    ("bedroom", "Bedroom", "first_floor"),
    ("bathroom", "Bathroom", "first_floor"),
    ("kids_room", "Kids Room", "first_floor"),
    ("garden", "Garden", None),
]
LABELS = [
    ("odoo", "Odoo", "mdi:odoo", "purple"),
    ("energy", "Energy", "mdi:flash", "amber"),
    ("security", "Security", "mdi:shield", "red"),
]
LIGHT_FEATURES = 40  # FLASH | TRANSITION
LIGHT_EFFECT_FEATURES = 44  # EFFECT | FLASH | TRANSITION


def _light(name, modes, on=True, brightness=180, effects=False):
    """A light with colour ``modes`` (the first is its colour mode when on)."""
    caps = {"supported_color_modes": modes}
    if "color_temp" in modes:
        caps.update(min_color_temp_kelvin=2000, max_color_temp_kelvin=6535)
    if effects:
        caps["effect_list"] = ["rainbow", "none"]
    caps.update(
        friendly_name=name,
        supported_features=LIGHT_EFFECT_FEATURES if effects else LIGHT_FEATURES,
    )
    memory = dict(DEFAULT_MEMORY, color_mode=modes[0], brightness=brightness)
    return ("on" if on else "off"), light_attributes(caps, on, memory)


def _sensor(name, value, unit=None, device_class=None, state_class="measurement"):
    attrs = {}
    if state_class:
        attrs["state_class"] = state_class
    if unit:
        attrs["unit_of_measurement"] = unit
    if device_class:
        attrs["device_class"] = device_class
    attrs["friendly_name"] = name
    return str(value), attrs


def _simple(name, state, **attrs):
    attrs["friendly_name"] = name
    return state, attrs


def _climate(name, mode, temp, current, modes=("off", "heat", "cool", "auto")):
    return mode, {
        "hvac_modes": list(modes),
        "min_temp": 7,
        "max_temp": 35,
        "target_temp_step": 0.5,
        "fan_modes": ["on_low", "on_high", "auto_low", "auto_high", "off"],
        "preset_modes": ["home", "eco", "away"],
        "current_temperature": current,
        "temperature": temp,
        "current_humidity": 54,
        "fan_mode": "auto_low",
        "hvac_action": "heating" if mode == "heat" else "idle",
        "preset_mode": "home",
        "friendly_name": name,
        "supported_features": 409,
    }


def _cover(name, position, tilt=None):
    attrs = {"current_position": position}
    if tilt is not None:
        attrs["current_tilt_position"] = tilt
    attrs.update(friendly_name=name, supported_features=255 if tilt is not None else 15)
    attrs["device_class"] = "blind" if tilt is not None else "garage"
    return ("open" if position else "closed"), attrs


def _fan(name, pct, oscillating=False):
    return ("on" if pct else "off"), {
        "preset_modes": ["auto", "smart", "sleep", "on"],
        "oscillating": oscillating,
        "percentage": pct,
        "percentage_step": 33.333333333333336,
        "preset_mode": None,
        "direction": "forward",
        "friendly_name": name,
        "supported_features": 63,
    }


def _media(name, state, source="Radio"):
    return state, {
        "source_list": ["Radio", "TV", "Spotify", "Bluetooth"],
        "volume_level": 0.5,
        "is_volume_muted": False,
        "media_content_type": "music",
        "media_title": "Track 1",
        "media_artist": "Odoo Band",
        "media_track": 1,
        "source": source,
        "friendly_name": name,
        "supported_features": 21437,
    }


# (device name, area_id, manufacturer, model, [(entity_id, (state, attrs), labels)])
def _devices():
    devs = []
    rooms = [a[0] for a in AREAS]
    lights = [
        ("living_room", "light.living_room_ceiling", ["color_temp", "hs"], True),
        ("living_room", "light.living_room_lamp", ["hs"], False),
        ("kitchen", "light.kitchen_lights", ["color_temp"], True),
        ("hallway", "light.hallway", ["brightness"], False),
        ("garage", "light.garage", ["onoff"], False),
        ("office", "light.office_desk", ["color_temp"], True),
        ("bedroom", "light.bed_light", ["hs", "color_temp"], False),
        ("bathroom", "light.bathroom_mirror", ["brightness"], False),
        ("kids_room", "light.kids_nightlight", ["hs"], True),
        ("garden", "light.garden_path", ["onoff"], True),
    ]
    for area, eid, modes, on in lights:
        name = eid.split(".")[1].replace("_", " ").title()
        labels = ["energy"] if area == "kitchen" else []
        devs.append(
            (
                name,
                area,
                "Signify",
                "LCT015",
                [(eid, _light(name, modes, on, effects="hs" in modes), labels)],
            )
        )
    for idx, room in enumerate(rooms):
        title = room.replace("_", " ").title()
        temp = round(19.5 + idx * 0.7, 1)
        ents = [
            (
                f"sensor.{room}_temperature",
                _sensor(f"{title} Temperature", temp, "°C", "temperature"),
                [],
            ),
            (
                f"sensor.{room}_humidity",
                _sensor(f"{title} Humidity", 40 + idx * 3, "%", "humidity"),
                [],
            ),
            (
                f"sensor.{room}_battery",
                _sensor(f"{title} Battery", 95 - idx * 4, "%", "battery"),
                [],
            ),
        ]
        devs.append((f"{title} Multisensor", room, "Aqara", "WSDCGQ11LM", ents))
        motion = _simple(f"{title} Motion", "off", device_class="motion")
        devs.append(
            (
                f"{title} Motion Sensor",
                room,
                "Aqara",
                "RTCGQ11LM",
                [(f"binary_sensor.{room}_motion", motion, ["security"])],
            )
        )
    plugs = [("living_room", "tv"), ("kitchen", "coffee_machine"), ("office", "pc")]
    for room, what in plugs:
        title = what.replace("_", " ").title()
        ents = [
            (f"switch.{what}_plug", _simple(f"{title} Plug", "on"), []),
            (
                f"sensor.{what}_power",
                _sensor(f"{title} Power", 42.5, "W", "power"),
                ["energy"],
            ),
            (
                f"sensor.{what}_energy",
                _sensor(f"{title} Energy", 12.4, "kWh", "energy", "total_increasing"),
                ["energy"],
            ),
        ]
        devs.append((f"{title} Plug", room, "Shelly", "Plug S", ents))
    meter = [
        (
            "sensor.total_energy_kwh",
            _sensor("Total Energy", 5012.3, "kWh", "energy", "total_increasing"),
            ["energy", "odoo"],
        ),
        (
            "sensor.power_consumption",
            _sensor("Power Consumption", 812, "W", "power"),
            ["energy"],
        ),
        (
            "sensor.grid_voltage",
            _sensor("Grid Voltage", 231.2, "V", "voltage"),
            [],
        ),
    ]
    devs.append(("Energy Meter", "garage", "Fluvius", "P1 Meter", meter))
    devs += [
        (
            "Thermostat Living",
            "living_room",
            "Ecobee",
            "Ecobee3",
            [
                (
                    "climate.living_room",
                    _climate("Living Room Thermostat", "heat", 21, 20.4),
                    [],
                )
            ],
        ),
        (
            "Thermostat Bedroom",
            "bedroom",
            "Nest",
            "T3",
            [("climate.bedroom", _climate("Bedroom Thermostat", "off", 18, 18.9), [])],
        ),
        (
            "HVAC Office",
            "office",
            "Daikin",
            "FTXM",
            [
                (
                    "climate.office_ac",
                    _climate("Office AC", "cool", 23, 24.1, ("off", "cool", "dry")),
                    [],
                )
            ],
        ),
        (
            "Garage Door",
            "garage",
            "Chamberlain",
            "MyQ",
            [("cover.garage_door", _cover("Garage Door", 0), ["security"])],
        ),
        (
            "Living Blinds",
            "living_room",
            "Somfy",
            "RTS",
            [("cover.living_room_blinds", _cover("Living Room Blinds", 70, 50), [])],
        ),
        (
            "Bedroom Blinds",
            "bedroom",
            "Somfy",
            "RTS",
            [("cover.bedroom_blinds", _cover("Bedroom Blinds", 0, 0), [])],
        ),
        (
            "Ceiling Fan",
            "living_room",
            "Hunter",
            "Signal",
            [("fan.living_room_fan", _fan("Living Room Fan", 67, True), [])],
        ),
        (
            "Bedroom Fan",
            "bedroom",
            "Dyson",
            "TP07",
            [("fan.bedroom_fan", _fan("Bedroom Fan", 0), [])],
        ),
        (
            "Front Door Lock",
            "hallway",
            "Nuki",
            "Smart Lock 3",
            [
                (
                    "lock.front_door",
                    _simple("Front Door", "locked", supported_features=1),
                    ["security"],
                ),
                (
                    "sensor.front_door_battery",
                    _sensor("Front Door Battery", 81, "%", "battery"),
                    [],
                ),
            ],
        ),
        (
            "Garage Lock",
            "garage",
            "Nuki",
            "Smart Lock 3",
            [("lock.garage_side_door", _simple("Garage Side Door", "unlocked"), [])],
        ),
        (
            "Robot Vacuum",
            "living_room",
            "Roborock",
            "S7",
            [
                (
                    "vacuum.robot",
                    _simple(
                        "Robot",
                        "docked",
                        fan_speed_list=["min", "medium", "high", "max"],
                        fan_speed="medium",
                        battery_level=100,
                        supported_features=16380,
                    ),
                    [],
                )
            ],
        ),
        (
            "Alarm Panel",
            "hallway",
            "Ajax",
            "Hub 2",
            [
                (
                    "alarm_control_panel.home_alarm",
                    _simple(
                        "Home Alarm",
                        "disarmed",
                        code_format="number",
                        changed_by=None,
                        code_arm_required=True,
                        supported_features=63,
                    ),
                    ["security"],
                )
            ],
        ),
        (
            "Dehumidifier",
            "bathroom",
            "Xiaomi",
            "DEM-F600",
            [
                (
                    "humidifier.bathroom",
                    _simple(
                        "Bathroom Dehumidifier",
                        "on",
                        min_humidity=30,
                        max_humidity=80,
                        available_modes=["normal", "eco", "sleep"],
                        current_humidity=58,
                        humidity=50,
                        mode="normal",
                        action="drying",
                        device_class="dehumidifier",
                        supported_features=1,
                    ),
                    [],
                )
            ],
        ),
        (
            "Boiler",
            "garage",
            "Viessmann",
            "Vitodens",
            [
                (
                    "water_heater.boiler",
                    _simple(
                        "Boiler",
                        "eco",
                        min_temp=43.3,
                        max_temp=60,
                        operation_list=["eco", "electric", "performance", "off"],
                        current_temperature=55,
                        temperature=55,
                        target_temp_high=None,
                        target_temp_low=None,
                        operation_mode="eco",
                        away_mode="off",
                        supported_features=15,
                    ),
                    ["energy"],
                )
            ],
        ),
        (
            "Garden Valve",
            "garden",
            "Gardena",
            "Smart Water",
            [
                (
                    "valve.garden_irrigation",
                    _simple(
                        "Garden Irrigation",
                        "closed",
                        current_position=0,
                        device_class="water",
                        supported_features=15,
                    ),
                    [],
                ),
                (
                    "valve.main_water",
                    _simple(
                        "Main Water", "open", device_class="water", supported_features=3
                    ),
                    [],
                ),
            ],
        ),
        (
            "Outdoor Siren",
            "garden",
            "Heiman",
            "HS2WD",
            [
                (
                    "siren.outdoor",
                    _simple(
                        "Outdoor Siren",
                        "off",
                        available_tones=["fire", "alarm"],
                        supported_features=31,
                    ),
                    ["security"],
                )
            ],
        ),
        (
            "Doorbell Camera",
            "hallway",
            "Reolink",
            "D340",
            [
                (
                    "camera.front_door",
                    _simple(
                        "Front Door Camera",
                        "idle",
                        access_token="0" * 64,
                        entity_picture="/api/camera_proxy/camera.front_door?token=0",
                        supported_features=2,
                    ),
                    ["security"],
                ),
                (
                    "button.doorbell_restart",
                    _simple("Doorbell Restart", "unknown", device_class="restart"),
                    [],
                ),
                (
                    "number.doorbell_volume",
                    _simple(
                        "Doorbell Volume",
                        "40.0",
                        min=0.0,
                        max=100.0,
                        step=1.0,
                        mode="slider",
                    ),
                    [],
                ),
                (
                    "select.doorbell_mode",
                    _simple(
                        "Doorbell Mode", "normal", options=["normal", "silent", "party"]
                    ),
                    [],
                ),
            ],
        ),
        (
            "Weather Station",
            "garden",
            "Netatmo",
            "NWS01",
            [
                (
                    "weather.home",
                    _simple(
                        "Home",
                        "sunny",
                        temperature=16.4,
                        apparent_temperature=15.9,
                        humidity=61,
                        pressure=1018.0,
                        wind_speed=11.2,
                        wind_bearing=250,
                        temperature_unit="°C",
                        pressure_unit="hPa",
                        wind_speed_unit="km/h",
                        visibility_unit="km",
                        precipitation_unit="mm",
                        attribution="Simulated weather",
                        supported_features=3,
                    ),
                    [],
                ),
                (
                    "sensor.outside_temperature",
                    _sensor("Outside Temperature", 15.6, "°C", "temperature"),
                    [],
                ),
                (
                    "sensor.outside_pressure",
                    _sensor("Outside Pressure", 1018.3, "hPa", "pressure"),
                    [],
                ),
                (
                    "sensor.rain_today",
                    _sensor(
                        "Rain Today", 1.2, "mm", "precipitation", "total_increasing"
                    ),
                    [],
                ),
            ],
        ),
    ]
    for idx, room in enumerate(("living_room", "office", "bedroom", "kitchen")):
        title = room.replace("_", " ").title()
        state = ("playing", "idle", "off", "paused")[idx]
        devs.append(
            (
                f"{title} Speaker",
                room,
                "Sonos",
                "One",
                [
                    (
                        f"media_player.{room}_speaker",
                        _media(f"{title} Speaker", state),
                        [],
                    )
                ],
            )
        )
    for idx, name in enumerate(("Router", "NAS", "Hub", "Doorbell", "Thermostat")):
        slug = name.lower()
        devs.append(
            (
                f"{name} Firmware",
                None,
                "Simulated",
                "Firmware",
                [
                    (
                        f"update.{slug}_firmware",
                        _simple(
                            f"{name} Firmware",
                            "on" if idx % 2 == 0 else "off",
                            auto_update=False,
                            installed_version=f"1.{idx}.0",
                            latest_version=f"1.{idx + idx % 2 * 0 + 1 - idx % 2}.0",
                            in_progress=False,
                            release_summary=None,
                            skipped_version=None,
                            title=f"{name} OS",
                            device_class="firmware",
                            entity_picture=None,
                            supported_features=23,
                        ),
                        [],
                    )
                ],
            )
        )
    for who in ("paulus", "anne_therese"):
        title = who.replace("_", " ").title()
        devs.append(
            (
                f"{title} Phone",
                None,
                "Apple",
                "iPhone 15",
                [
                    (
                        f"device_tracker.{who}_phone",
                        _simple(
                            f"{title} Phone",
                            "home",
                            source_type="gps",
                            latitude=50.85,
                            longitude=4.35,
                            gps_accuracy=12,
                            battery_level=77,
                        ),
                        [],
                    ),
                    (
                        f"sensor.{who}_phone_battery",
                        _sensor(f"{title} Phone Battery", 77, "%", "battery"),
                        [],
                    ),
                ],
            )
        )
    sun = _simple(
        "Sun",
        "above_horizon",
        next_dawn="2025-05-01T03:51:00+00:00",
        next_dusk="2025-05-01T19:40:00+00:00",
        next_midnight="2025-05-01T11:45:00+00:00",
        next_noon="2025-05-01T11:45:00+00:00",
        next_rising="2025-05-01T04:27:00+00:00",
        next_setting="2025-05-01T19:04:00+00:00",
        elevation=42.1,
        azimuth=180.3,
        rising=False,
    )
    devs.append(("Sun", None, None, None, [("sun.sun", sun, [])]))
    devs.append(
        (
            "Backup",
            None,
            "Home Assistant",
            "Home Assistant Backup",
            [
                (
                    "sensor.backup_state",
                    _sensor(
                        "Backup state",
                        "idle",
                        None,
                        "enum",
                        None,
                    ),
                    [],
                )
            ],
        )
    )
    return devs
