/** DashboardItem: one small figure card (icon, label, value) of the dashboards. */
import {Component} from "@odoo/owl";

export class DashboardItem extends Component {
    static template = "odoo_ha_addon.DashboardItem";
    static props = {
        label: String,
        value: {optional: true},
        icon: {type: String, optional: true},
        variant: {type: String, optional: true},
        slots: {type: Object, optional: true},
    };
    static defaultProps = {icon: "fa-circle-o", variant: "light"};
}
