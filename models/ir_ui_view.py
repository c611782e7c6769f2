from odoo import fields, models


class IrUiView(models.Model):
    _inherit = "ir.ui.view"

    type = fields.Selection(
        selection_add=[("hahistory", "HA History")],
        ondelete={"hahistory": "cascade"},
    )

    def _get_view_info(self):
        # Every view type needs an icon here, or the web client's session fails.
        return {"hahistory": {"icon": "fa fa-area-chart"}} | super()._get_view_info()
