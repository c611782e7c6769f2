import {registry} from "@web/core/registry";
import {noBrokenTextStep} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

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
            content: "The Configuration menu is there",
            trigger:
                ".o_main_navbar [data-menu-xmlid='odoo_ha_addon.menu_ha_configuration']",
            run: "click",
        },
        {
            content: "Open the instances",
            trigger:
                ".dropdown-item[data-menu-xmlid='odoo_ha_addon.menu_ha_instances']",
            run: "click",
        },
        {
            content: "The instance list is shown",
            trigger: ".o_breadcrumb:contains('Instances')",
        },
        noBrokenTextStep("the instance list"),
    ],
});
