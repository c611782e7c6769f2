/**
 * Labels, in the user's language, of the values Home Assistant sends as codes:
 * entity states ("on", "heat", "armed_away"...) and the connection statuses.
 *
 * The tables are built at call time (render time): at module import `_t` has no
 * translations loaded yet. A state with no label here is shown as HA sent it.
 */
import {_t} from "@web/core/l10n/translation";

function stateLabels() {
    return {
        on: _t("On"),
        off: _t("Off"),
        unavailable: _t("Unavailable"),
        unknown: _t("Unknown"),
        open: _t("Open"),
        opening: _t("Opening"),
        closed: _t("Closed"),
        closing: _t("Closing"),
        locked: _t("Locked"),
        locking: _t("Locking"),
        unlocked: _t("Unlocked"),
        unlocking: _t("Unlocking"),
        jammed: _t("Jammed"),
        playing: _t("Playing"),
        paused: _t("Paused"),
        idle: _t("Idle"),
        // A running timer.
        active: _t("Running"),
        standby: _t("Standby"),
        buffering: _t("Buffering"),
        // A camera's states besides idle.
        streaming: _t("Streaming"),
        recording: _t("Recording"),
        home: _t("Home"),
        not_home: _t("Away from home"),
        heat: _t("Heat"),
        cool: _t("Cool"),
        heat_cool: _t("Heat/Cool"),
        auto: _t("Auto"),
        dry: _t("Dry"),
        fan_only: _t("Fan only"),
        cleaning: _t("Cleaning"),
        docked: _t("Docked"),
        returning: _t("Returning to dock"),
        mowing: _t("Mowing"),
        error: _t("Error"),
        armed_home: _t("Armed home"),
        armed_away: _t("Armed away"),
        armed_night: _t("Armed night"),
        armed_vacation: _t("Armed vacation"),
        armed_custom_bypass: _t("Armed custom bypass"),
        disarmed: _t("Disarmed"),
        arming: _t("Arming"),
        disarming: _t("Disarming"),
        pending: _t("Pending"),
        triggered: _t("Triggered"),
        above_horizon: _t("Above horizon"),
        below_horizon: _t("Below horizon"),
    };
}

/** The label of an entity state (or of a mode HA lists), else the state itself. */
export function stateLabel(state) {
    const labels = stateLabels();
    return Object.hasOwn(labels, state) ? labels[state] : state;
}

/** The states that have a label. */
export function labelledStates() {
    return Object.keys(stateLabels());
}

/** Connection status → [badge class, label]. */
export function statusStyles() {
    return {
        connected: ["text-bg-success", _t("Connected")],
        connecting: ["text-bg-info", _t("Connecting")],
        reconnecting: ["text-bg-warning", _t("Reconnecting")],
        disconnected: ["text-bg-secondary", _t("Disconnected")],
        error: ["text-bg-danger", _t("Error")],
    };
}

/** The label of a connection status ("connected"...), else the status itself. */
export function statusLabel(status) {
    const styles = statusStyles();
    return Object.hasOwn(styles, status) ? styles[status][1] : status;
}

/** The connection statuses that have a label. */
export function labelledStatuses() {
    return Object.keys(statusStyles());
}

/**
 * A device's "Manufacturer Model", leaving out what HA does not know (real HA
 * sends null for either; the API returns false).
 */
export function deviceMaker(device) {
    return [device.manufacturer, device.model].filter(Boolean).join(" ");
}
