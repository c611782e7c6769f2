/**
 * EntityController: the live card body of one Home Assistant entity — its state and
 * the controls of its domain (one QWeb template per domain family).
 */
import {Component, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {formatDateTime} from "@web/core/l10n/dates";
import {useService} from "@web/core/utils/hooks";
import {
    getDomainConfig,
    isOn,
} from "@odoo_ha_addon/components/entity_controller/domain_config";
import {
    counterAllows,
    timerAllows,
} from "@odoo_ha_addon/components/entity_controller/domains/helpers";
import {useEntityControl} from "@odoo_ha_addon/components/entity_controller/use_entity_control";
import {stateLabel} from "@odoo_ha_addon/util/ha_labels";

export class EntityController extends Component {
    static template = "odoo_ha_addon.EntityController";
    static props = {
        entity: Object,
        compact: {type: Boolean, optional: true},
    };

    setup() {
        this.haData = useService("ha_data");
        this.control = useEntityControl((props = this.props) => props.entity);
        this.entity = this.control.state;
        this.draft = useState({
            text: "",
            code: "",
            command: "",
            duration: "",
            item: "",
            message: "",
            mediaPlayer: "",
            snapshot: false,
            snapshotError: false,
        });
    }

    get family() {
        return getDomainConfig(this.entity.domain).family;
    }

    get familyTemplate() {
        return `odoo_ha_addon.EntityController.${this.family}`;
    }

    get isOn() {
        return isOn(this.entity.state);
    }

    get isUnavailable() {
        return ["unavailable", "unknown"].includes(this.entity.state);
    }

    get stateLabel() {
        return stateLabel(this.entity.state);
    }

    /** A mode HA lists (hvac, operation...) as shown in a select. */
    modeLabel(mode) {
        return stateLabel(mode);
    }

    get unit() {
        return this.entity.attributes.unit_of_measurement || "";
    }

    attr(name, fallback = "") {
        const value = this.entity.attributes[name];
        return value === undefined || value === null ? fallback : value;
    }

    list(name) {
        const value = this.entity.attributes[name];
        return Array.isArray(value) ? value : [];
    }

    get otherAttributes() {
        return Object.entries(this.entity.attributes)
            .filter(
                ([key]) => !["friendly_name", "icon", "entity_picture"].includes(key)
            )
            .slice(0, 8)
            .map(([key, value]) => ({
                key,
                value:
                    typeof value === "object" ? JSON.stringify(value) : String(value),
            }));
    }

    get rgbHex() {
        const rgb = this.list("rgb_color");
        if (rgb.length !== 3) {
            return "#ffffff";
        }
        return "#" + rgb.map((c) => Number(c).toString(16).padStart(2, "0")).join("");
    }

    get datetimeInputType() {
        const domain = this.entity.domain;
        if (domain === "date") {
            return "date";
        }
        if (domain === "time") {
            return "time";
        }
        if (domain === "datetime") {
            return "datetime-local";
        }
        const attrs = this.entity.attributes;
        if (attrs.has_date && attrs.has_time) {
            return "datetime-local";
        }
        return attrs.has_date ? "date" : "time";
    }

    get datetimeValue() {
        const value = String(this.entity.state || "");
        if (this.datetimeInputType === "datetime-local") {
            return value.replace(" ", "T").slice(0, 16);
        }
        if (this.datetimeInputType === "time") {
            return value.slice(0, 5);
        }
        return value.slice(0, 10);
    }

    /** Whether a counter or timer button would change anything (else disabled). */
    allows(action) {
        if (this.isUnavailable) {
            return false;
        }
        const check = this.entity.domain === "timer" ? timerAllows : counterAllows;
        return check(this.entity, action);
    }

    /** A timer's duration, remaining time and end, those HA sent. */
    get timerFigures() {
        const figures = [];
        const duration = this.attr("duration");
        if (duration) {
            figures.push({key: "duration", label: _t("Duration"), value: duration});
        }
        const remaining = this.attr("remaining");
        if (remaining && this.entity.state !== "idle") {
            figures.push({key: "remaining", label: _t("Remaining"), value: remaining});
        }
        const finishesAt = this.attr("finishes_at");
        if (finishesAt && this.entity.state === "active") {
            const moment = luxon.DateTime.fromISO(String(finishesAt));
            figures.push({
                key: "finishes_at",
                label: _t("Finishes at"),
                value: moment.isValid
                    ? formatDateTime(moment.setZone("default"))
                    : String(finishesAt),
            });
        }
        return figures;
    }

    run(action, value) {
        return this.control.execute(action, value);
    }

    onValue(action, ev) {
        return this.run(action, ev.target.value);
    }

    onNumber(action, ev) {
        return this.run(action, Number(ev.target.value));
    }

    async submitDraft(action, key) {
        const value = this.draft[key];
        if (!value) {
            return;
        }
        if (await this.run(action, value)) {
            this.draft[key] = "";
        }
    }

    /** Start (or resume) a timer, for the duration typed if any. */
    async startTimer() {
        if (await this.run("start", this.draft.duration.trim() || undefined)) {
            this.draft.duration = "";
        }
    }

    async runWithCode(action) {
        await this.run(action, this.draft.code || undefined);
        this.draft.code = "";
    }

    speak() {
        if (this.draft.message && this.draft.mediaPlayer) {
            return this.run("speak", {
                message: this.draft.message,
                mediaPlayer: this.draft.mediaPlayer,
            });
        }
    }

    async loadSnapshot() {
        this.draft.snapshotError = false;
        try {
            const data = await this.haData.getCameraSnapshot(
                this.entity.entity_id,
                this.entity.ha_instance_id
            );
            this.draft.snapshot = `data:${data.content_type || "image/jpeg"};base64,${data.image}`;
        } catch (error) {
            this.draft.snapshotError = error.message || _t("No image");
        }
    }
}
