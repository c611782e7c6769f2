/**
 * Systray menu showing the current Home Assistant instance and switching it
 * (`/odoo_ha_addon/switch_instance`). It follows `ha_data.state`, so a switch
 * made in another tab (bus `ha_instance_switched`) is reflected here too.
 */
import {Component, onWillStart, useState} from "@odoo/owl";
import {Dropdown} from "@web/core/dropdown/dropdown";
import {DropdownItem} from "@web/core/dropdown/dropdown_item";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {user} from "@web/core/user";
import {useService} from "@web/core/utils/hooks";
import {createLogger} from "@odoo_ha_addon/util/debug";
import {statusLabel} from "@odoo_ha_addon/util/ha_labels";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

const logger = createLogger("instance_selector");
export const HA_USER_GROUP = "odoo_ha_addon.group_ha_user";

/**
 * Systray item (only for HA_USER_GROUP): lists the user's instances and switches
 * the current one; reloads its list on instance switches, invalidations and
 * fallbacks.
 */
export class HaInstanceSelector extends Component {
    static template = "odoo_ha_addon.HaInstanceSelector";
    static components = {Dropdown, DropdownItem};
    static props = {};

    setup() {
        this.haData = useService("ha_data");
        this.haState = useState(this.haData.state);
        this.state = useState({instances: [], allowed: false, switching: false});
        onWillStart(async () => {
            this.state.allowed = await user.hasGroup(HA_USER_GROUP);
            if (this.state.allowed) {
                await this.load();
            }
        });
        // The current instance is read from `ha_data.state`; the list is
        // reloaded only when it does not know the new instance.
        useHaGlobalState("instance_switched", ({instanceId}) => {
            if (this.state.allowed && !this.current && instanceId) {
                this.load(true);
            }
        });
        useHaGlobalState(["instance_invalidated", "instance_fallback"], () => {
            if (this.state.allowed) {
                this.load(true);
            }
        });
    }

    async load(force = false) {
        try {
            const {instances} = await this.haData.getInstances({force});
            this.state.instances = instances;
        } catch (error) {
            logger.debug("instances unavailable", error);
            this.state.instances = [];
        }
    }

    get current() {
        return (
            this.state.instances.find(
                (instance) => instance.id === this.haState.currentInstanceId
            ) || false
        );
    }

    statusLabel(status) {
        return statusLabel(status);
    }

    get title() {
        return this.current
            ? _t("Home Assistant instance: %s", this.current.name)
            : _t("Home Assistant instance");
    }

    async select(instance) {
        if (instance.id === this.haState.currentInstanceId || this.state.switching) {
            return;
        }
        this.state.switching = true;
        try {
            await this.haData.switchInstance(instance.id);
            this.haData.showSuccess(_t("Switched to %s", instance.name));
        } catch (error) {
            this.haData.showError(error.message || _t("Could not switch the instance"));
        } finally {
            this.state.switching = false;
        }
    }
}

export const instanceSelectorItem = {Component: HaInstanceSelector};

registry
    .category("systray")
    .add("odoo_ha_addon.instance_selector", instanceSelectorItem, {sequence: 40});
