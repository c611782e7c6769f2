/** Locks and alarm panels: actions that may need a code. */
import {withCode} from "@odoo_ha_addon/components/entity_controller/domains/common";

const LOCK = {
    lock: withCode("lock", "locking"),
    unlock: withCode("unlock", "unlocking"),
    open: withCode("open"),
};

const ALARM = {
    disarm: withCode("alarm_disarm"),
    trigger: withCode("alarm_trigger"),
};
for (const mode of ["home", "away", "night", "vacation"]) {
    ALARM[`arm_${mode}`] = withCode(`alarm_arm_${mode}`, "arming");
}

export const SECURITY_DOMAINS = {
    lock: {family: "lock", actions: LOCK},
    alarm_control_panel: {family: "alarm", actions: ALARM},
};
