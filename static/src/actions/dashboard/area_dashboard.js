/**
 * AreaDashboard: one instance's areas (plus the virtual "Unassigned" area), each
 * shown device first — device cards with their entities' controllers, then the
 * entities without a device — and a dialog of an entity's related items.
 */
import {Component, onWillStart, useState} from "@odoo/owl";
import {Dialog} from "@web/core/dialog/dialog";
import {_t} from "@web/core/l10n/translation";
import {useService} from "@web/core/utils/hooks";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

export const UNASSIGNED_AREA = 0;

/** Dialog listing an entity's area, device, labels, automations, scenes and scripts. */
export class RelatedEntityDialog extends Component {
    static template = "odoo_ha_addon.RelatedEntityDialog";
    static components = {Dialog};
    static props = {
        entity: Object,
        instanceId: Number,
        close: Function,
    };

    setup() {
        this.haData = useService("ha_data");
        this.action = useService("action");
        this.state = useState({loading: true, related: null, error: false});
        onWillStart(async () => {
            try {
                this.state.related = await this.haData.getEntityRelated(
                    this.props.entity.entity_id,
                    this.props.instanceId
                );
            } catch (error) {
                this.state.error = error.message;
            } finally {
                this.state.loading = false;
            }
        });
    }

    get groups() {
        const related = this.state.related || {};
        const asList = (value) => (Array.isArray(value) ? value : value ? [value] : []);
        return [
            ["area", _t("Area"), "ha.area"],
            ["device", _t("Device"), "ha.device"],
            ["labels", _t("Labels"), "ha.label"],
            ["automations", _t("Automations"), "ha.entity"],
            ["scenes", _t("Scenes"), "ha.entity"],
            ["scripts", _t("Scripts"), "ha.entity"],
        ]
            .map(([key, label, model]) => ({
                key,
                label,
                model,
                items: asList(related[key]),
            }))
            .filter((group) => group.items.length);
    }

    open(model, item) {
        if (!item.id) {
            return;
        }
        this.props.close();
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: item.id,
            views: [[false, "form"]],
        });
    }
}

/**
 * The areas of instance `instanceId` and the devices and entities of the chosen
 * one; reloads on registry pushes and full syncs of that instance.
 */
export class AreaDashboard extends Component {
    static template = "odoo_ha_addon.AreaDashboard";
    static components = {EntityController};
    static props = {instanceId: Number};

    /**
     * "Manufacturer Model" of a device, leaving out what HA does not know
     * (real HA sends null for either; the API returns false).
     */
    deviceMaker(device) {
        return [device.manufacturer, device.model].filter(Boolean).join(" ");
    }

    setup() {
        this.haData = useService("ha_data");
        this.dialog = useService("dialog");
        this.state = useState({
            areas: [],
            areaId: UNASSIGNED_AREA,
            data: null,
            loading: true,
            error: false,
            collapsed: {},
        });
        onWillStart(() => this.loadAreas());
        useHaGlobalState(
            ["area_registry_update", "device_registry_update", "entity_update_all"],
            ({instanceId}) => {
                if (!instanceId || instanceId === this.props.instanceId) {
                    this.loadAreas();
                }
            }
        );
    }

    async loadAreas() {
        try {
            const areas = (await this.haData.getAreas(this.props.instanceId)) || [];
            this.state.areas = [
                ...areas,
                {
                    id: UNASSIGNED_AREA,
                    name: _t("Unassigned"),
                    icon: "mdi:help-circle-outline",
                },
            ];
            const known = this.state.areas.some(
                (area) => area.id === this.state.areaId
            );
            await this.selectArea(
                known && this.state.data ? this.state.areaId : this.state.areas[0].id
            );
        } catch (error) {
            this.state.error = error.message;
            this.state.loading = false;
        }
    }

    async selectArea(areaId) {
        this.state.areaId = areaId;
        this.state.loading = true;
        this.state.error = false;
        try {
            this.state.data = await this.haData.getAreaDashboardData(
                areaId,
                this.props.instanceId
            );
        } catch (error) {
            this.state.error = error.message;
        } finally {
            this.state.loading = false;
        }
    }

    /** HA has no area yet (only the virtual "Unassigned" one is listed). */
    get noAreas() {
        return (
            !this.state.error &&
            this.state.areas.length > 0 &&
            this.state.areas.every((area) => area.id === UNASSIGNED_AREA)
        );
    }

    withInstance(entity) {
        return {ha_instance_id: this.props.instanceId, ...entity};
    }

    toggleDevice(deviceId) {
        this.state.collapsed[deviceId] = !this.state.collapsed[deviceId];
    }

    openRelated(entity) {
        this.dialog.add(RelatedEntityDialog, {
            entity,
            instanceId: this.props.instanceId,
        });
    }
}
