import {registry} from "@web/core/registry";
import {noBrokenTextStep} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

/** Click a menu entry (top bar or Configuration dropdown), wait for its title. */
function menuSteps(xmlid, title, inConfiguration = false) {
    const steps = [];
    if (inConfiguration) {
        steps.push({
            content: "Open the Configuration menu",
            trigger:
                ".o_main_navbar [data-menu-xmlid='odoo_ha_addon.menu_ha_configuration']",
            run: "click",
        });
    }
    steps.push(
        {
            content: `Open the menu ${title}`,
            trigger: inConfiguration
                ? `.dropdown-item[data-menu-xmlid='odoo_ha_addon.${xmlid}']`
                : `.o_main_navbar [data-menu-xmlid='odoo_ha_addon.${xmlid}']`,
            run: "click",
        },
        {
            content: `${title} is shown`,
            trigger: `.o_breadcrumb:contains('${title}')`,
        },
        noBrokenTextStep(`the menu ${title}`)
    );
    return steps;
}

/** Open the record named `name` of the list view shown. */
function openRowSteps(name) {
    return [
        {
            content: `Open ${name}`,
            trigger: `.o_data_row td.o_data_cell:contains('${name}')`,
            run: "click",
        },
        {
            content: `The form of ${name} is shown`,
            trigger: `.o_form_view .o_breadcrumb:contains('${name}')`,
        },
    ];
}

registry.category("web_tour.tours").add("odoo_ha_addon_menu_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open the Home Assistant app",
            trigger: ".o_app[data-menu-xmlid='odoo_ha_addon.menu_ha_root']",
            run: "click",
        },
        {
            content: "The dashboard offers a manager to add an instance",
            trigger: ".o_odoo_ha_addon_dashboard .o_odoo_ha_addon_new_instance",
            run: "click",
        },
        {
            content: "The new instance opens in a modal form",
            trigger: ".modal .o_form_view .o_field_widget[name='api_url']",
        },
        {
            content: "Discard the new instance",
            trigger: ".modal .o_form_button_cancel, .modal button[special='cancel']",
            run: "click",
        },
        {
            content: "The modal is closed",
            trigger: "body:not(:has(.modal))",
        },
        noBrokenTextStep("the dashboard"),
        ...menuSteps("menu_ha_entities", "Entities"),
        {
            content: "Switch the entities to their list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        ...openRowSteps("Tour scene"),
        {
            content: "The entity form shows its live controller card",
            trigger:
                ".o_odoo_ha_addon_entity_form_controller .o_odoo_ha_addon_entity_controller",
        },
        {
            content: "The Activate button of the scene is there",
            trigger: ".o_form_statusbar button[name='action_activate_scene']",
        },
        {
            content: "The attributes are shown as JSON",
            trigger:
                ".o_field_widget[name='attributes_str'] .ace_content:contains('mdi:palette')",
        },
        {
            content: "Open the History tab",
            trigger: ".o_notebook .nav-link:contains('History')",
            run: "click",
        },
        {
            content: "The history of the entity is listed",
            trigger: ".o_field_widget[name='history_ids'] .o_data_row",
        },
        noBrokenTextStep("the entity form"),
        ...menuSteps("menu_ha_areas", "Areas"),
        ...menuSteps("menu_ha_devices", "Devices"),
        ...openRowSteps("Tour player"),
        {
            content: "Open the Related Entities tab",
            trigger: ".o_notebook .nav-link:contains('Related Entities')",
            run: "click",
        },
        {
            content: "The related automations button is there",
            trigger: "button[name='action_view_related_automations']",
        },
        noBrokenTextStep("the device form"),
        ...menuSteps("menu_ha_labels", "Labels"),
        {
            content: "The label counts are listed",
            trigger: ".o_list_view th[data-name='entity_count']",
        },
        ...menuSteps("menu_ha_history", "History"),
        ...menuSteps("menu_ha_entity_groups", "Entity Groups"),
        ...menuSteps("menu_ha_instances", "Instances", true),
        {
            content: "Switch the instances to their kanban",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "Open the instance card",
            trigger:
                ".o_odoo_ha_addon_instance_kanban .o_kanban_record:contains('Tour home')",
            run: "click",
        },
        {
            content: "The instance form shows its connection status bar",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button",
        },
        {
            content: "Clear the instance data",
            trigger: ".o_form_statusbar button[name='action_clear_data']",
            run: "click",
        },
        {
            content: "The clear wizard counts the entities",
            trigger: ".modal .o_field_widget[name='entity_count']:contains('1')",
        },
        noBrokenTextStep("the clear wizard"),
        {
            content: "Cancel the clearing",
            trigger: ".modal button[special='cancel']",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        ...menuSteps("menu_ha_entity_tags", "Entity Tags", true),
        ...menuSteps("menu_ha_entity_group_tags", "Entity Group Tags", true),
        ...menuSteps("menu_ha_device_tags", "Device Tags", true),
        ...menuSteps("menu_ha_settings", "Settings", true),
    ],
});
