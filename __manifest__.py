{
    "name": "Home Assistant",
    "summary": "Home Assistant homes, offices and plants inside Odoo: live states, "
    "controls, history and per-user access",
    "version": "18.0.8.0.0",
    "category": "Productivity/Home Assistant",
    "author": "odoo_ha_addon contributors",
    "website": "https://github.com/odoo-ha-addon/odoo_ha_addon",
    "license": "LGPL-3",
    "application": True,
    "depends": ["base", "web", "bus", "mail", "portal", "base_automation"],
    # websockets>=14.2 is checked (and installed) by the package import, see
    # hooks.py: listed here, Odoo would refuse the install before that.
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "security/ha_rules.xml",
        "data/ha_cron.xml",
        "data/ha_instance_params.xml",
        "data/ha_control_log_data.xml",
        "views/ha_instance_views.xml",
        "wizard/ha_instance_clear_wizard_views.xml",
        "views/ha_entity_views.xml",
        "views/ha_entity_history_views.xml",
        "views/ha_area_views.xml",
        "views/ha_device_views.xml",
        "views/ha_label_views.xml",
        "views/ha_entity_group_views.xml",
        "views/ha_entity_tag_views.xml",
        "views/ha_entity_group_tag_views.xml",
        "views/ha_device_tag_views.xml",
        "views/menus.xml",
        "views/ha_availability_alert_views.xml",
        "views/ha_entity_share_views.xml",
        "views/ha_control_log_views.xml",
        "views/ha_entity_kanban_views.xml",
        "views/ha_entity_history_hahistory_views.xml",
        "views/ha_dashboard_views.xml",
        "views/res_config_settings_views.xml",
        "views/portal_templates.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "odoo_ha_addon/static/src/**/*",
            ("remove", "odoo_ha_addon/static/src/portal/**/*"),
        ],
        # The portal pages: the backend's entity controller (one implementation)
        # with the portal's own ha_data service.
        "web.assets_frontend": [
            "odoo_ha_addon/static/src/util/ha_labels.js",
            "odoo_ha_addon/static/src/components/entity_controller/**/*",
            "odoo_ha_addon/static/src/portal/**/*",
        ],
        "web.assets_unit_tests": [
            "odoo_ha_addon/static/tests/**/*",
            ("remove", "odoo_ha_addon/static/tests/tours/**/*"),
        ],
        "web.assets_tests": [
            "odoo_ha_addon/static/tests/tours/**/*",
        ],
    },
    "pre_init_hook": "pre_init_hook",
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "post_load": "post_load",
    "installable": True,
}
