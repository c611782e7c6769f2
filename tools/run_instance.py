# Run by `./dev run` inside `odoo-bin shell`: point the demo instance at the HA
# given by HA_URL / HA_TOKEN (the simulator by default). Not a module of the addon.
import os

url, token = os.environ["HA_URL"], os.environ["HA_TOKEN"]
Instance = env["ha.instance"].with_context(active_test=False)  # noqa: F821
instance = Instance.search([("api_url", "=", url)], limit=1) or Instance.search(
    [], limit=1
)
vals = {"api_url": url, "api_token": token, "active": True}
if instance:
    instance.write(vals)
else:
    instance = Instance.create(dict(vals, name="Demo home"))
env.cr.commit()  # noqa: F821
print(f"instance {instance.id} -> {url}")
