/**
 * AreaDashboard: one instance's areas (plus the virtual "Unassigned" area), each
 * shown device first — device cards with their entities' controllers, then the
 * entities without a device — each opening a dialog of its related items.
 */
import {Component, onWillStart, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {useService} from "@web/core/utils/hooks";
import {DeviceCard} from "@odoo_ha_addon/components/device_card/device_card";
import {RelatedEntityDialog} from "@odoo_ha_addon/components/related_entity_dialog/related_entity_dialog";
import {StandaloneEntityCard} from "@odoo_ha_addon/components/standalone_entity_card/standalone_entity_card";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

export const UNASSIGNED_AREA = 0;

/**
 * The areas of instance `instanceId` and the devices and entities of the chosen
 * one; reloads on registry pushes and full syncs of that instance.
 */
export class AreaDashboard extends Component {
    static template = "odoo_ha_addon.AreaDashboard";
    static components = {DeviceCard, StandaloneEntityCard};
    static props = {instanceId: Number};

    setup() {
        this.haData = useService("ha_data");
        this.dialog = useService("dialog");
        this.state = useState({
            areas: [],
            areaId: UNASSIGNED_AREA,
            data: null,
            loading: true,
            error: false,
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

    openRelated(entity) {
        this.dialog.add(RelatedEntityDialog, {
            entity,
            instanceId: this.props.instanceId,
        });
    }
}
