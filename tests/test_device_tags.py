from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tools import mute_logger

from .common import HACommon


class TestDeviceTags(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.instance_b = cls._create_instance(name="Home B")
        Device = cls.env["ha.device"]
        cls.device_a1, cls.device_a2 = (
            Device.create(
                {
                    "device_id": f"d{i}",
                    "name": f"Lamp {i}",
                    "ha_instance_id": cls.instance.id,
                }
            )
            for i in (1, 2)
        )
        cls.device_b = Device.create(
            {"device_id": "d1", "name": "Lamp B", "ha_instance_id": cls.instance_b.id}
        )
        cls.Tag = cls.env["ha.device.tag"]

    def _tag(self, name="Kitchen", instance=None, devices=None):
        return self.Tag.create(
            {
                "name": name,
                "ha_instance_id": (instance or self.instance).id,
                "device_ids": [(6, 0, (devices or self.Tag.device_ids).ids)],
            }
        )

    def test_name_unique_per_instance(self):
        self._tag("Kitchen")
        # The same name on another instance is another tag.
        other = self._tag("Kitchen", instance=self.instance_b)
        self.assertEqual(other.ha_instance_id, self.instance_b)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._tag("Kitchen")

    def test_tag_refuses_devices_of_another_instance(self):
        with self.assertRaises(ValidationError):
            self._tag(devices=self.device_a1 | self.device_b)
        tag = self._tag(devices=self.device_a1)
        with self.assertRaises(ValidationError):
            tag.device_ids = [(4, self.device_b.id)]
        # From the device's side too.
        with self.assertRaises(ValidationError):
            self.device_b.tag_ids = [(4, tag.id)]
        # Moving the tag to another instance with its devices is refused.
        with self.assertRaises(ValidationError):
            tag.ha_instance_id = self.instance_b

    def test_member_count_and_view_devices(self):
        tag = self._tag(devices=self.device_a1 | self.device_a2)
        self.assertEqual(tag.device_count, 2)
        self.assertEqual(self.device_a1.tag_ids, tag)
        self.device_a2.tag_ids = [(3, tag.id)]
        self.assertEqual(tag.device_count, 1)
        action = tag.action_view_devices()
        self.assertEqual(action["res_model"], "ha.device")
        self.assertEqual(self.env["ha.device"].search(action["domain"]), self.device_a1)

    def test_rights(self):
        entity = self._create_entity("light.lamp1", device_id=self.device_a1.id)
        user = self._create_ha_user("ha_tag_user")
        manager = self._create_ha_user("ha_tag_manager", manager=True)
        self._create_group("Lamps", entity, [user])
        seen = self._tag("Seen", devices=self.device_a1)
        self._tag("Hidden", devices=self.device_a2)
        self._tag("Empty")
        # A user reads the tags of the devices they may see, nothing more...
        self.assertEqual(self.Tag.with_user(user).search([]), seen)
        self.assertEqual(seen.with_user(user).device_count, 1)
        # ... and may not change them.
        with self.assertRaises(AccessError):
            seen.with_user(user).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.Tag.with_user(user).create(
                {"name": "Mine", "ha_instance_id": self.instance.id}
            )
        with self.assertRaises(AccessError):
            self.device_a1.with_user(user).write({"tag_ids": [(5,)]})
        # A manager sees and edits them all.
        self.assertEqual(len(self.Tag.with_user(manager).search([])), 3)
        created = self.Tag.with_user(manager).create(
            {
                "name": "Managed",
                "ha_instance_id": self.instance.id,
                "device_ids": [(6, 0, self.device_a2.ids)],
            }
        )
        self.assertEqual(self.device_a2.tag_ids.mapped("name"), ["Hidden", "Managed"])
        created.with_user(manager).unlink()
