"""Demo helper entities (registry entry, no device) and unregistered ones."""

# Entities with a registry entry but no device: helpers etc.
HELPERS = [
    (
        "input_boolean.guest_mode",
        ("Guest mode", "off", {"icon": "mdi:account-multiple"}),
        "living_room",
        ["odoo"],
    ),
    ("input_boolean.vacation_mode", ("Vacation mode", "off", {}), None, []),
    (
        "input_number.target_temperature",
        (
            "Target temperature",
            "21.0",
            {
                "initial": None,
                "editable": True,
                "min": 5.0,
                "max": 30.0,
                "step": 0.5,
                "mode": "box",
                "unit_of_measurement": "°C",
            },
        ),
        "living_room",
        [],
    ),
    (
        "input_number.noise_allowance",
        (
            "Allowed Noise",
            "2.0",
            {
                "initial": None,
                "editable": True,
                "min": 0.0,
                "max": 10.0,
                "step": 1.0,
                "mode": "slider",
                "unit_of_measurement": "dB",
                "icon": "mdi:bell-ring",
            },
        ),
        None,
        [],
    ),
    (
        "input_select.house_mode",
        (
            "House mode",
            "Home",
            {"options": ["Home", "Away", "Night"], "editable": True},
        ),
        "hallway",
        ["odoo"],
    ),
    (
        "input_select.who_cooks",
        (
            "Cook today",
            "Anne Therese",
            {
                "options": ["Paulus", "Anne Therese"],
                "editable": True,
                "icon": "mdi:panda",
            },
        ),
        None,
        [],
    ),
    (
        "input_text.odoo_note",
        (
            "Odoo note",
            "",
            {"editable": True, "min": 0, "max": 255, "pattern": None, "mode": "text"},
        ),
        None,
        ["odoo", "energy"],
    ),
    (
        "input_button.bell",
        ("Ring bell", "unknown", {"editable": True, "icon": "mdi:bell-ring-outline"}),
        None,
        [],
    ),
    (
        "input_datetime.alarm_time",
        (
            "Alarm time",
            "07:30:00",
            {
                "has_date": False,
                "has_time": True,
                "editable": True,
                "hour": 7,
                "minute": 30,
                "second": 0,
                "timestamp": 27000,
            },
        ),
        "bedroom",
        [],
    ),
    (
        "input_datetime.next_maintenance",
        (
            "Next maintenance",
            "2025-06-01 09:00:00",
            {
                "has_date": True,
                "has_time": True,
                "editable": True,
                "year": 2025,
                "month": 6,
                "day": 1,
                "hour": 9,
                "minute": 0,
                "second": 0,
                "timestamp": 1748768400.0,
            },
        ),
        None,
        [],
    ),
    (
        "counter.door_openings",
        ("Door openings", "0", {"initial": 0, "editable": True, "step": 1}),
        "hallway",
        [],
    ),
    (
        "timer.laundry",
        ("Laundry", "idle", {"duration": "0:45:00", "editable": True}),
        "bathroom",
        [],
    ),
    (
        "scene.evening",
        (
            "Evening",
            "unknown",
            {
                "entity_id": ["light.living_room_ceiling", "light.kitchen_lights"],
                "id": "1700000000001",
            },
        ),
        None,
        [],
    ),
    (
        "scene.good_night",
        (
            "Good night",
            "unknown",
            {"entity_id": ["light.bed_light"], "id": "1700000000002"},
        ),
        None,
        [],
    ),
    (
        "script.odoo_ping",
        ("Odoo ping", "off", {"last_triggered": None, "mode": "single", "current": 0}),
        None,
        ["odoo"],
    ),
    (
        "script.all_off",
        (
            "All lights off",
            "off",
            {"last_triggered": None, "mode": "single", "current": 0},
        ),
        None,
        [],
    ),
    (
        "automation.count_door",
        (
            "Count door openings",
            "on",
            {
                "id": "count_door",
                "last_triggered": None,
                "mode": "single",
                "current": 0,
            },
        ),
        None,
        [],
    ),
    (
        "automation.night_mode",
        (
            "Night mode",
            "off",
            {
                "id": "night_mode",
                "last_triggered": None,
                "mode": "single",
                "current": 0,
            },
        ),
        None,
        [],
    ),
    (
        "person.paulus",
        (
            "Paulus",
            "home",
            {
                "editable": True,
                "id": "paulus",
                "device_trackers": ["device_tracker.paulus_phone"],
                "user_id": None,
            },
        ),
        None,
        [],
    ),
    (
        "person.anne_therese",
        (
            "Anne Therese",
            "not_home",
            {
                "editable": True,
                "id": "anne_therese",
                "device_trackers": ["device_tracker.anne_therese_phone"],
                "user_id": None,
            },
        ),
        None,
        [],
    ),
    (
        "zone.home",
        (
            "Home",
            "1",
            {
                "latitude": 50.85,
                "longitude": 4.35,
                "radius": 100,
                "passive": False,
                "persons": ["person.paulus"],
                "editable": True,
                "icon": "mdi:home",
            },
        ),
        None,
        [],
    ),
]
# Entities without unique_id (no registry entry, like real HA's legacy platforms).
UNREGISTERED = [
    (
        "media_player.group_all",
        (
            "All Speakers",
            "idle",
            {
                "source_list": ["Radio"],
                "volume_level": 0.3,
                "is_volume_muted": False,
                "supported_features": 21437,
            },
        ),
    ),
    ("siren.kitchen_smoke", ("Kitchen Smoke Siren", "off", {"supported_features": 3})),
    (
        "lock.shed",
        ("Shed", "locked", {"code_format": r"^\d{4}$", "supported_features": 0}),
    ),
    ("binary_sensor.internet", ("Internet", "on", {"device_class": "connectivity"})),
    (
        "sensor.uptime_minutes",
        (
            "Uptime",
            "1234",
            {"state_class": "total_increasing", "unit_of_measurement": "min"},
        ),
    ),
    (
        "zone.work",
        (
            "Work",
            "0",
            {
                "latitude": 50.84,
                "longitude": 4.36,
                "radius": 200,
                "passive": False,
                "persons": [],
                "editable": False,
                "icon": "mdi:briefcase",
            },
        ),
    ),
]
