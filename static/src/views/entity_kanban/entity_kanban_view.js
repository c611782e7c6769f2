/**
 * `ha_entity_kanban`: the kanban of `ha.entity` whose cards are live entity
 * controllers (`<widget name="ha_entity_controller"/>`). Cards follow the bus by
 * themselves; the whole view reloads after a full sync or an instance switch.
 */
import {registry} from "@web/core/registry";
import {KanbanController} from "@web/views/kanban/kanban_controller";
import {kanbanView} from "@web/views/kanban/kanban_view";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

/** The kanban controller, reloading after a full sync or an instance switch. */
export class HaEntityKanbanController extends KanbanController {
    setup() {
        super.setup();
        useHaGlobalState(["entity_update_all", "instance_switched"], () =>
            this.model.load()
        );
    }
}

export const haEntityKanbanView = {
    ...kanbanView,
    Controller: HaEntityKanbanController,
};

registry.category("views").add("ha_entity_kanban", haEntityKanbanView);
