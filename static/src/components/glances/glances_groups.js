/**
 * How the Glances dashboard sorts a Glances host's sensors: CPU, memory, disk
 * and network first (by name, as Glances names them), then the other sensors
 * by device class (temperatures, batteries, ...), then the rest.
 */
import {_t} from "@web/core/l10n/translation";

/** The fixed groups, in display order: [key, label, Font Awesome icon, test]. */
function fixedGroups() {
    return [
        [
            "cpu",
            _t("CPU"),
            "fa-microchip",
            (text) => /\bcpu\b|processor|\bload\b/.test(text),
        ],
        [
            "memory",
            _t("Memory"),
            "fa-server",
            (text) => /memory|\bswap\b|\bram\b/.test(text),
        ],
        [
            "disk",
            _t("Disk"),
            "fa-hdd-o",
            (text, entity) =>
                /disk|\bfs\b|filesystem|\bmount\b/.test(text) ||
                entity.device_class === "data_size",
        ],
        [
            "network",
            _t("Network"),
            "fa-exchange",
            (text, entity) =>
                /\b(rx|tx)\b|network/.test(text) || entity.device_class === "data_rate",
        ],
    ];
}

/** Labels of the device classes a Glances host commonly has. */
function deviceClassLabels() {
    return {
        temperature: [_t("Temperature"), "fa-thermometer-half"],
        battery: [_t("Battery"), "fa-battery-three-quarters"],
        power: [_t("Power"), "fa-bolt"],
        voltage: [_t("Voltage"), "fa-bolt"],
        timestamp: [_t("Time"), "fa-clock-o"],
    };
}

/**
 * Group the rows of `glances_device_entities`.
 *
 * @param {object[]} entities rows with entity_id, name, device_class
 * @returns {{key: string, label: string, icon: string, entities: object[]}[]}
 *      the non-empty groups, in display order
 */
export function groupGlancesEntities(entities) {
    const fixed = fixedGroups();
    const groups = new Map(
        fixed.map(([key, label, icon]) => [key, {key, label, icon, entities: []}])
    );
    const byClass = new Map();
    const other = {
        key: "other",
        label: _t("Other"),
        icon: "fa-info-circle",
        entities: [],
    };
    const classLabels = deviceClassLabels();
    for (const entity of entities) {
        const text = `${entity.entity_id} ${entity.name || ""}`.toLowerCase();
        const match = fixed.find(([, , , test]) => test(text, entity));
        if (match) {
            groups.get(match[0]).entities.push(entity);
        } else if (entity.device_class) {
            const cls = entity.device_class;
            if (!byClass.has(cls)) {
                const [label, icon] = classLabels[cls] || [cls, "fa-tachometer"];
                byClass.set(cls, {key: `class_${cls}`, label, icon, entities: []});
            }
            byClass.get(cls).entities.push(entity);
        } else {
            other.entities.push(entity);
        }
    }
    return [...groups.values(), ...byClass.values(), other].filter(
        (group) => group.entities.length
    );
}

/** A percentage as a number for a progress bar, or null when the value is none. */
export function percentOf(entity) {
    if (entity.unit_of_measurement !== "%") {
        return null;
    }
    const value = parseFloat(entity.state);
    return isFinite(value) ? Math.max(0, Math.min(100, value)) : null;
}
