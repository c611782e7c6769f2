"""The demo home's Glances device: a home server as HA's Glances
integration shows it (one service device, sensors of platform ``glances``).

Names, units and device classes are those HA gives a Glances host, so the
Glances dashboard meets what it would meet on a real installation.
"""

from .demo_catalog import _sensor

HOST = "Home Server"
SLUG = "home_server"
ENTRY_ID = "01JSIMGLANCES00000000000000"

# (object id suffix, name, value, unit, device class, icon)
SENSORS = [
    ("cpu_usage", "CPU usage", "12.5", "%", None, "mdi:cpu-64-bit"),
    ("cpu_load", "CPU load", "0.42", "15 min", None, "mdi:cpu-64-bit"),
    ("memory_usage", "Memory usage", "46.8", "%", None, "mdi:memory"),
    ("memory_use", "Memory use", "3745.2", "MiB", "data_size", "mdi:memory"),
    ("memory_free", "Memory free", "4255.6", "MiB", "data_size", "mdi:memory"),
    ("disk_usage", "/ disk usage", "61.3", "%", None, "mdi:harddisk"),
    ("disk_used", "/ disk used", "142.7", "GiB", "data_size", None),
    ("disk_free", "/ disk free", "90.1", "GiB", "data_size", None),
    ("eth0_rx", "eth0 RX", "1.84", "Mbit/s", "data_rate", "mdi:server-network"),
    ("eth0_tx", "eth0 TX", "0.37", "Mbit/s", "data_rate", "mdi:server-network"),
    (
        "package_id_0_temperature",
        "Package id 0 temperature",
        "48.0",
        "°C",
        "temperature",
        None,
    ),
    ("nvme0_temperature", "nvme0 temperature", "39.9", "°C", "temperature", None),
    ("containers_active", "Containers active", "7", None, None, "mdi:docker"),
]


def glances_sensors():
    """[(entity_id, (state, attributes))] of the Glances host's sensors."""
    out = []
    for suffix, name, value, unit, device_class, icon in SENSORS:
        state, attrs = _sensor(f"{HOST} {name}", value, unit, device_class)
        if icon:
            attrs["icon"] = icon
        out.append((f"sensor.{SLUG}_{suffix}", (state, attrs)))
    return out


def add_glances(home, seed_state):
    """Register the Glances device and its sensors; ``seed_state(eid, state,
    attrs)`` gives each its first state."""
    device = home.new_device(
        HOST,
        "Glances",
        None,
        None,
        config_entry=ENTRY_ID,
        identifiers=[["glances", ENTRY_ID]],
        entry_type="service",
    )
    for entity_id, (state, attrs) in glances_sensors():
        home.new_entity_entry(
            entity_id,
            "glances",
            device["id"],
            config_entry_id=ENTRY_ID,
            original_name=attrs["friendly_name"].removeprefix(f"{HOST} "),
        )
        seed_state(entity_id, state, attrs)
    return device
