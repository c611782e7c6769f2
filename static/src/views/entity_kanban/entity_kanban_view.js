/**
 * `ha_entity_kanban`: the kanban of `ha.entity` whose cards are live entity
 * controllers (`<widget name="ha_entity_controller"/>`). Cards follow the bus by
 * themselves; the whole view reloads after a full sync or an instance switch.
 */
import {onWillDestroy} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {KanbanController} from "@web/views/kanban/kanban_controller";
import {kanbanView} from "@web/views/kanban/kanban_view";

export class HaEntityKanbanController extends KanbanController {
    setup() {
        super.setup();
        const haData = useService("ha_data");
        const reload = () => this.model.load();
        const offs = [
            haData.onGlobalState("entity_update_all", reload),
            haData.onGlobalState("instance_switched", reload),
        ];
        onWillDestroy(() => offs.forEach((off) => off()));
    }
}

export const haEntityKanbanView = {
    ...kanbanView,
    Controller: HaEntityKanbanController,
};

registry.category("views").add("ha_entity_kanban", haEntityKanbanView);
