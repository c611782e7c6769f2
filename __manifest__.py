{
    "name": "Home Assistant",
    "summary": "Home Assistant homes, offices and plants inside Odoo: live states, "
    "controls, history and per-user access",
    "version": "18.0.1.0.0",
    "category": "Productivity/Home Assistant",
    "author": "odoo_ha_addon contributors",
    "website": "https://github.com/odoo-ha-addon/odoo_ha_addon",
    "license": "LGPL-3",
    "application": True,
    "depends": ["base", "web", "bus", "mail"],
    "external_dependencies": {"python": ["websockets", "requests"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "views/ha_instance_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "odoo_ha_addon/static/src/**/*",
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
