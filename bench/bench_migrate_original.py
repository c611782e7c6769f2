"""Switching from the original ``odoo_ha_addon`` in place: ``-u`` with our code.

Real original (its public source checked out outside this repository, folder
named ``odoo_ha_addon``; nothing of it is copied here)::

    ODOO_HA_ORIGINAL_PATH=/somewhere/odoo_ha_addon \\
        python bench/bench_migrate_original.py --db mig_real --stage STAGE

installs the original in a fresh database, seeds it (an instance synced from the
HA simulator, a group with an authorised user, tags, a portal share, history
rows, a user preference), replaces it with ours (addons path swap), runs
``odoo-bin -u odoo_ha_addon``, prints the counts before and after, starts our
server and prints whether the instance is "connected" within 10 s, and the
counts once the full sync is done (nothing duplicated, nothing lost).

Without ``ODOO_HA_ORIGINAL_PATH`` (or with ``--fixture``) the database is the
fixture of ``tools/original_fixture.py``. ``--history N`` adds N history rows
before the upgrade and prints how long the upgrade takes (goal for 1,000,000:
<= 60 s)::

    python bench/bench_migrate_original.py --db mig_1m --stage STAGE --fixture \\
        --history 1000000

``STAGE`` is a folder holding our addon as ``odoo_ha_addon`` (``./dev`` stages
each checkout under ~/.cache/odoo_ha_addon/stage/). Exits non-zero when a goal
is missed. Everything listens on 127.0.0.1.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_failover import (  # noqa: E402
    ODOO_PATH,
    TOKEN,
    Sim,
    addons_path,
    bench_parser,
    free_port,
    query,
    report,
    start_odoo,
    stop_servers,
    wait_for,
)

from tools import original_fixture  # noqa: E402

ODOO_BIN = str(ODOO_PATH / "odoo-bin")
GOAL_SECONDS = 60
GOAL_ROWS = 1_000_000
IDENTITY = "SELECT id, ha_instance_uuid, last_api_url FROM ha_instance ORDER BY id"

# Run in the original's `odoo shell`: an instance synced from the simulator,
# then what a user adds. The original's own code does the syncing.
SEED = r"""
import time, json, urllib.request
from datetime import datetime, timedelta
from odoo.addons.odoo_ha_addon.models.common import websocket_thread_manager as wtm

url, token = {url!r}, {token!r}
instance = env["ha.instance"].create({{"name": "Home", "api_url": url,
    "api_token": token, "description": "Seeded by the bench", "sequence": 5}})
env.cr.commit()
wtm.start_websocket_service(env, instance.id)
deadline = time.time() + 20
while time.time() < deadline and not wtm.is_websocket_service_running(env, instance.id):
    time.sleep(0.5)
synced = "none"
try:
    instance.action_sync_registry()
    env.cr.commit()
    instance.action_sync_entities()
    env.cr.commit()
    synced = "original's sync"
except Exception as err:  # the fallback below still seeds the mirror
    env.cr.rollback()
    print("SEED: the original's sync failed:", err)
entities = env["ha.entity"].search([("ha_instance_id", "=", instance.id)])
if not entities:
    req = urllib.request.Request(url + "/api/states",
                                 headers={{"Authorization": "Bearer " + token}})
    states = json.load(urllib.request.urlopen(req, timeout=30))
    Entity = env["ha.entity"].with_context(from_ha_sync=True)
    for s in states:
        Entity.create({{"entity_id": s["entity_id"],
            "domain": s["entity_id"].split(".")[0],
            "name": s["attributes"].get("friendly_name"),
            "entity_state": s["state"], "attributes": s["attributes"],
            "ha_instance_id": instance.id}})
    synced = "REST states"
    entities = env["ha.entity"].search([("ha_instance_id", "=", instance.id)])
env.cr.commit()
wtm.stop_websocket_service(env.cr.dbname, instance.id)
user = env["res.users"].create({{"name": "HA user", "login": "bench_ha_user",
    "groups_id": [(6, 0, [env.ref("base.group_user").id,
                          env.ref("odoo_ha_addon.group_ha_user").id])]}})
portal = env["res.users"].create({{"name": "Portal", "login": "bench_portal",
    "groups_id": [(6, 0, [env.ref("base.group_portal").id])]}})
Ctx = dict(from_ha_sync=True)
sensors = entities.filtered(lambda e: e.domain == "sensor")[:5] or entities[:5]
group_tag = env["ha.entity.group.tag"].create({{"name": "Floor",
    "ha_instance_id": instance.id}})
group = env["ha.entity.group"].with_context(**Ctx).create({{"name": "Living",
    "ha_instance_id": instance.id, "entity_ids": [(6, 0, entities[:10].ids)],
    "user_ids": [(6, 0, [user.id])], "tag_ids": [(6, 0, group_tag.ids)],
    "note": "Seeded"}})
tag = env["ha.entity.tag"].create({{"name": "Watched", "ha_instance_id": instance.id,
    "entity_ids": [(6, 0, sensors.ids)]}})
devices = env["ha.device"].search([("ha_instance_id", "=", instance.id)])
if devices:
    env["ha.device.tag"].create({{"name": "Critical", "ha_instance_id": instance.id,
        "device_ids": [(6, 0, devices[:3].ids)]}})
sensors.with_context(**Ctx).write({{"enable_record": True, "note": "Recorded"}})
env["ha.entity.share"].create({{"entity_id": entities[0].id, "user_id": portal.id,
    "permission": "control",
    "expiry_date": datetime.now() + timedelta(days=30)}})
env["ha.entity.share"].create({{"group_id": group.id, "user_id": portal.id,
    "permission": "view"}})
if devices:
    env["ha.entity.share"].create({{"device_id": devices[0].id, "user_id": user.id,
        "permission": "control"}})
# Custom properties: definitions on the instance, values on the records.
instance.write({{
    "entity_properties_definition": [{{"name": "room_size", "type": "integer",
        "string": "Room size"}}],
    "group_properties_definition": [{{"name": "floor", "type": "char",
        "string": "Floor"}}],
    "device_properties_definition": [{{"name": "rack", "type": "integer",
        "string": "Rack"}}],
}})
for k, entity in enumerate(entities[:10]):
    entity.with_context(**Ctx).properties = {{"room_size": k + 1}}
group.with_context(**Ctx).properties = {{"floor": "Ground"}}
for k, device in enumerate(devices[:3]):
    device.properties = {{"rack": k + 1}}
# A share wizard a user opened and left (a transient row of the original).
env["ha.entity.share.wizard"].with_context(default_entity_id=entities[1].id).create(
    {{"user_ids": [(6, 0, [user.id])], "permission": "view"}})
now = datetime.now().replace(microsecond=0)
rows = []
for entity in sensors:
    for k in range(100):
        state = "unavailable" if k % 10 == 0 else str(20 + k % 7)
        rows.append({{"entity_id": entity.id, "domain": entity.domain,
            "entity_state": state, "last_changed": now - timedelta(minutes=k),
            "last_updated": now - timedelta(minutes=k)}})
env["ha.entity.history"].create(rows)
env.user.current_ha_instance_id = instance
env.cr.commit()
print("SEED: synced by", synced, "-", len(entities), "entities")
"""


def add_history(db, rows):
    """``rows`` more history rows, as the original stores them."""
    if not rows:
        return
    entities = query(
        db,
        "SELECT id, ha_instance_id, domain FROM ha_entity "
        "WHERE domain IN ('sensor', 'light') ORDER BY id LIMIT 50",
    )
    with original_fixture.connect(db) as conn, conn.cursor() as cr:
        original_fixture.Fixture(cr).history(rows, entities)
    conn.close()


def print_counts(label, counts):
    print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--fixture", action="store_true")
    args = parser.parse_args()
    original = os.environ.get("ODOO_HA_ORIGINAL_PATH")
    real = bool(original) and not args.fixture
    ours = addons_path(args.stage)
    os.makedirs(args.logdir, exist_ok=True)
    log = f"{args.logdir}/bench_migrate"
    port = free_port()
    failures = []
    sim = Sim() if real else None
    servers = []
    try:
        subprocess.run(["dropdb", "--if-exists", args.db], check=True)
        if real:
            theirs = addons_path(Path(original).resolve().parent)
            rc, seconds = original_fixture.run_odoo(
                ODOO_BIN, args.db, theirs, port, f"{log}-install.log",
                "-i", "odoo_ha_addon", "--without-demo=all",
            )  # fmt: skip
            if rc:
                raise SystemExit(f"the original did not install, see {log}-install.log")
            print(f"original installed in {seconds:.1f} s")
            out = original_fixture.run_shell(
                ODOO_BIN,
                args.db,
                theirs,
                SEED.format(url=sim.url, token=TOKEN),
                f"{log}-seed.log",
            )
            print("\n".join(line for line in out.splitlines() if "SEED" in line))
        else:
            rc, _ = original_fixture.run_odoo(
                ODOO_BIN, args.db, ours, port, f"{log}-install.log",
                "-i", f"base,web,bus,mail,portal,{original_fixture.MODULE}",
                "--without-demo=all",
            )  # fmt: skip
            if rc:
                raise SystemExit(f"our addon did not install, see {log}-install.log")
            original_fixture.build(args.db, 0)
        add_history(args.db, args.history)
        before = original_fixture.counts(args.db)
        print_counts("before", before)
        kept = original_fixture.snapshot(args.db)
        with_values = original_fixture.properties_set(args.db)
        kept["identity"] = query(args.db, IDENTITY)
        print(f"records with property values before: {with_values}")
        rc, seconds = original_fixture.run_odoo(
            ODOO_BIN, args.db, ours, port, f"{log}-upgrade.log", "-u", "odoo_ha_addon"
        )
        after = original_fixture.counts(args.db)
        print_counts("after ", after)
        rows = before["ha_entity_history"]
        per = f" ({seconds / rows * 100_000:.1f} s per 100k)" if rows >= 100_000 else ""
        print(
            f"odoo-bin -u odoo_ha_addon: exit {rc}, {seconds:.1f} s for {rows} "
            f"history rows{per}"
        )
        if rc:
            failures.append(f"the upgrade failed, see {log}-upgrade.log")
        if original_fixture.warnings_in(f"{log}-upgrade.log"):
            failures.append("the upgrade logged warnings from the addon")
        lost = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
        if lost:
            failures.append(f"counts changed: {lost}")
        if rows >= GOAL_ROWS and seconds > GOAL_SECONDS * rows / GOAL_ROWS:
            failures.append(f"{seconds:.1f} s > {GOAL_SECONDS} s per million rows")
        if not rc:
            failures += compare(args, ours, kept, with_values, before, log)
            failures += upgrade_again(args, ours, port, after, log)
        if real and not rc:
            failures += serve(args, servers, before, log)
    finally:
        stop_servers(servers)
        if sim:
            sim.stop()
    return report(failures, "migration bench: all goals met")


def compare(args, ours, kept, with_values, before, log):
    """Values kept as they were; shares, properties and our share wizard
    working through our models."""
    failures = []
    now = original_fixture.snapshot(args.db)
    # The original stamps an instance's identity when it is created: kept.
    now["identity"] = query(args.db, IDENTITY)
    changed = [key for key, rows in kept.items() if now[key] != rows]
    print(
        f"values equal before and after: {len(kept) - len(changed)} of {len(kept)} "
        f"({', '.join(kept)})" + (f"; changed: {changed}" if changed else "")
    )
    if changed:
        failures.append(f"values changed: {changed}")
    print(f"instance identity (id, ha_instance_uuid, last_api_url): {now['identity']}")
    if not all(uuid and url for _id, uuid, url in now["identity"]):
        failures.append(f"an instance has no identity: {now['identity']}")
    orm = original_fixture.orm_check(ODOO_BIN, args.db, ours, f"{log}-orm.log")
    print(
        f"shares: {before['ha_entity_share']} before, {orm['shares']} through "
        f"ha.entity.share after, {orm['working']} working for their user; our "
        f"share wizard: form {orm['wizard_form']}, {orm['wizard_shares']} share "
        f"created, working {orm['wizard_share_works']}; records with property "
        f"values: {with_values} stored, {orm['properties']} read"
    )
    if not orm["shares"] == orm["working"] == before["ha_entity_share"]:
        failures.append(f"shares not all working: {orm['broken']}")
    if not (orm["wizard_form"] and orm["wizard_targets"]) or not (
        orm["wizard_shares"] == 1 and orm["wizard_share_works"]
    ):
        failures.append("our share wizard does not work")
    if orm["properties"] != with_values:
        failures.append("property values not read back")
    return failures


def upgrade_again(args, ours, port, after, log):
    """A second ``-u``: no migration, no warning, no count changed."""
    again = f"{log}-upgrade-again.log"
    rc, seconds = original_fixture.run_odoo(
        ODOO_BIN, args.db, ours, port, again, "-u", "odoo_ha_addon"
    )
    with open(again, encoding="utf-8") as lines:
        migrated = "Upgrading from the original" in lines.read()
    warned = original_fixture.warnings_in(again)
    same = original_fixture.counts(args.db) == after
    print(
        f"second -u: exit {rc}, {seconds:.1f} s, migration run {migrated}, "
        f"{len(warned)} warnings, counts unchanged {same}"
    )
    if rc or migrated or warned or not same:
        return ["the second -u is not a no-op"]
    return []


def serve(args, servers, before, log):
    """Our server on the upgraded database: connected <= 10 s, sync reconciles."""
    failures = []
    synced_before = query(args.db, "SELECT last_sync_date FROM ha_instance")[0][0]
    started = time.monotonic()
    servers.append(start_odoo(args.db, args.stage, free_port(), 0, f"{log}-serve.log"))
    connected = wait_for(
        lambda: query(args.db, "SELECT ws_state FROM ha_instance")[0][0] == "connected",
        10,
    )
    print(
        "instance status connected within 10 s of server start: "
        + (f"yes ({time.monotonic() - started:.1f} s)" if connected else "no")
    )
    if not connected:
        failures.append("not connected within 10 s")
        return failures
    synced = wait_for(
        lambda: query(args.db, "SELECT last_sync_date FROM ha_instance")[0][0]
        != synced_before,
        60,
    )
    after = original_fixture.counts(args.db)
    print_counts("after the full sync", after)
    if not synced:
        failures.append("no full sync within 60 s")
    # Mirror rows: the sync may add what the original never mirrored (its
    # registry sync skips nothing we know of), never duplicate or drop.
    for table in ("ha_entity", "ha_area", "ha_device", "ha_label"):
        if after[table] != before[table]:
            failures.append(f"{table}: {before[table]} before, {after[table]} after")
    for table in ("ha_entity_history", "ha_entity_group_user_rel", "ha_entity_tag_rel"):
        if after[table] < before[table]:
            failures.append(f"{table} lost rows: {before[table]} -> {after[table]}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
