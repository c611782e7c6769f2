"""``ha.entity.share``: targets, uniqueness, expiry, rights and crons."""

from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import mute_logger

from odoo.addons.odoo_ha_addon.models.ha_portal import attribute_text

from .common import HACommon


class TestShares(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Share = cls.env["ha.entity.share"]
        cls.light = cls._create_entity("light.desk")
        cls.lamp = cls._create_entity("light.lamp")
        cls.device = cls.env["ha.device"].create(
            {"device_id": "d1", "name": "Desk", "ha_instance_id": cls.instance.id}
        )
        cls.lamp.device_id = cls.device
        cls.group = cls._create_group("Room", cls.light | cls.lamp)
        cls.portal = new_test_user(
            cls.env, login="share_portal", groups="base.group_portal"
        )
        cls.other_portal = new_test_user(
            cls.env, login="share_portal_2", groups="base.group_portal"
        )
        cls.manager = cls._create_ha_user("share_manager", manager=True)

    def share(self, **vals):
        return self.Share.create({"user_id": self.portal.id, **vals})

    def past(self, days=1):
        return fields.Datetime.now() - timedelta(days=days)

    def test_exactly_one_target(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.share()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.share(entity_id=self.light.id, group_id=self.group.id)
        share = self.share(entity_id=self.light.id)
        self.assertEqual(share.ha_instance_id, self.instance)
        self.assertEqual(
            share.display_name,
            f'Entity "{self.light.display_name}" shared with ' f"{self.portal.name}",
        )

    def test_unique_per_target_and_user(self):
        self.share(entity_id=self.light.id)
        self.share(entity_id=self.light.id, user_id=self.other_portal.id)
        self.share(group_id=self.group.id)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.share(entity_id=self.light.id, permission="control")

    def test_is_expired_searchable(self):
        live = self.share(entity_id=self.light.id)
        later = self.share(
            group_id=self.group.id, expiry_date=fields.Datetime.now() + timedelta(1)
        )
        gone = self.share(device_id=self.device.id, expiry_date=self.past())
        self.assertEqual(gone.is_expired, True)
        self.assertFalse(live.is_expired or later.is_expired)
        mine = [("user_id", "=", self.portal.id)]
        self.assertEqual(self.Share.search(mine + [("is_expired", "=", True)]), gone)
        self.assertEqual(
            self.Share.search(mine + [("is_expired", "=", False)]), live | later
        )

    def test_strongest_permission_over_every_path(self):
        self.share(entity_id=self.lamp.id, permission="view")
        self.share(device_id=self.device.id, permission="control")
        self.share(group_id=self.group.id, permission="view")
        perms = self.Share._entity_permissions(self.portal)
        self.assertEqual(perms, {self.lamp.id: "control", self.light.id: "view"})
        entities = self.Share.get_shared_entities_for_user(self.portal)
        self.assertEqual(
            [e.entity_id for e, _p in entities], ["light.desk", "light.lamp"]
        )
        self.assertEqual(
            self.Share.get_shared_groups_for_user(self.portal), [(self.group, "view")]
        )
        self.assertEqual(
            self.Share.get_shared_devices_for_user(self.portal),
            [(self.device, "control")],
        )
        self.assertEqual(self.Share._access(self.lamp, self.portal), "control")
        self.assertEqual(self.Share._access(self.light, self.portal), "view")
        # an archived group grants nothing
        self.group.active = False
        self.assertEqual(self.Share._access(self.light, self.portal), None)

    def test_expired_shares_grant_nothing(self):
        self.share(
            device_id=self.device.id, permission="control", expiry_date=self.past()
        )
        self.assertEqual(self.Share._entity_permissions(self.portal), {})
        self.assertEqual(self.Share._access(self.lamp, self.portal), "expired")
        self.assertEqual(self.Share._access(self.light, self.portal), None)
        self.share(entity_id=self.lamp.id, permission="view")
        self.assertEqual(self.Share._access(self.lamp, self.portal), "view")

    def test_extend_and_revoke(self):
        share = self.share(
            entity_id=self.light.id, expiry_date=self.past(3), notification_sent=True
        )
        share.action_extend_expiry(days=10)
        self.assertFalse(share.notification_sent)
        self.assertAlmostEqual(
            share.expiry_date,
            fields.Datetime.now() + timedelta(days=10),
            delta=timedelta(minutes=1),
        )
        share.action_extend_expiry()
        self.assertAlmostEqual(
            share.expiry_date,
            fields.Datetime.now() + timedelta(days=40),
            delta=timedelta(minutes=1),
        )
        share.action_revoke()
        self.assertFalse(share.exists())

    def test_portal_reads_own_shares_only(self):
        mine = self.share(entity_id=self.light.id)
        self.share(entity_id=self.light.id, user_id=self.other_portal.id)
        Share = self.Share.with_user(self.portal)
        self.assertEqual(Share.search([]), mine)
        with self.assertRaises(AccessError):
            Share.create({"user_id": self.portal.id, "entity_id": self.lamp.id})
        with self.assertRaises(AccessError):
            mine.with_user(self.portal).write({"permission": "control"})
        self.assertEqual(len(self.Share.with_user(self.manager).search([])), 2)
        # the helpers answer about the caller only (they read as superuser)
        self.assertEqual(len(Share.get_shared_entities_for_user()), 1)
        for other in (self.other_portal, self.other_portal.id):
            with self.assertRaises(AccessError):
                Share.get_shared_entities_for_user(other)
        managed = self.Share.with_user(self.manager).get_shares_for_user(
            self.other_portal.id
        )
        self.assertEqual(len(managed), 1)

    def test_cron_expiry_notice_once(self):
        soon = self.Share.with_user(self.manager).create(
            {
                "user_id": self.portal.id,
                "entity_id": self.light.id,
                "expiry_date": fields.Datetime.now() + timedelta(days=3),
            }
        )
        far = self.share(
            entity_id=self.lamp.id,
            expiry_date=fields.Datetime.now() + timedelta(days=30),
        )
        self.assertEqual(self.Share._cron_check_expiring_shares(), 1)
        self.assertTrue(soon.notification_sent)
        self.assertFalse(far.notification_sent)
        activities = self.env["mail.activity"].search(
            [("user_id", "=", self.manager.id)]
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(
            activities.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertEqual(self.Share._cron_check_expiring_shares(), 0)
        self.assertEqual(
            self.env["mail.activity"].search_count([("user_id", "=", self.manager.id)]),
            1,
        )

    def test_cron_cleanup(self):
        old = self.share(entity_id=self.light.id, expiry_date=self.past(31))
        recent = self.share(entity_id=self.lamp.id, expiry_date=self.past(5))
        forever = self.share(group_id=self.group.id)
        self.assertEqual(self.Share._cron_cleanup_expired_shares(), 1)
        self.assertFalse(old.exists())
        self.assertTrue((recent | forever).exists() == recent | forever)

    def test_wizard_shares_with_several_users_and_updates(self):
        Wizard = self.env["ha.entity.share.wizard"].with_user(self.manager)
        context = {
            "active_model": "ha.entity",
            "active_ids": (self.light | self.lamp).ids,
        }
        wizard = Wizard.with_context(**context).create(
            {"user_ids": [(6, 0, (self.portal | self.manager).ids)]}
        )
        self.assertEqual(wizard.entity_ids, self.light | self.lamp)
        self.assertEqual(wizard.user_types_display, "1 internal, 1 portal")
        result = wizard.action_share()
        self.assertIn("4 shares created, 0 updated", result["params"]["message"])
        shares = self.Share.search([("entity_id", "in", (self.light | self.lamp).ids)])
        self.assertEqual(len(shares), 4)
        self.assertEqual(set(shares.mapped("permission")), {"view"})
        shares.filtered(lambda s: s.user_id == self.portal).notification_sent = True
        expiry = fields.Datetime.now() + timedelta(days=3)
        wizard = Wizard.with_context(
            active_model="ha.entity", active_id=self.light.id
        ).create(
            {
                "user_ids": [(6, 0, self.portal.ids)],
                "permission": "control",
                "expiry_date": expiry,
            }
        )
        self.assertEqual(wizard.existing_share_count, 2)
        result = wizard.action_share()
        self.assertIn("0 shares created, 1 updated", result["params"]["message"])
        share = self.Share.search(
            [("entity_id", "=", self.light.id), ("user_id", "=", self.portal.id)]
        )
        self.assertEqual(
            (share.permission, share.expiry_date, share.notification_sent),
            ("control", expiry.replace(microsecond=0), False),
        )
        self.assertEqual(self.Share.search_count([]), 4)

    def test_wizard_from_a_device_and_group(self):
        for model, record, field in (
            ("ha.device", self.device, "device_id"),
            ("ha.entity.group", self.group, "group_id"),
        ):
            wizard = (
                self.env["ha.entity.share.wizard"]
                .with_context(active_model=model, active_id=record.id)
                .create({"user_ids": [(6, 0, self.portal.ids)]})
            )
            wizard.action_share()
            self.assertEqual(
                self.Share.search([(field, "=", record.id)]).user_id, self.portal
            )


class TestPortalAttributeText(TransactionCase):
    def test_values_read_as_text_never_as_python_repr(self):
        self.assertEqual(attribute_text(["rainbow", "none"]), "rainbow, none")
        self.assertEqual(attribute_text(None), "")
        self.assertEqual(attribute_text({"b": 1, "a": [2]}), '{"a": [2], "b": 1}')
        self.assertEqual(attribute_text(4), "4")
