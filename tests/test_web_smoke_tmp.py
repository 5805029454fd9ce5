from tests.factories import build_pipeline
from igny8.extensions import db

def test_smoke(app, client, auth, api, tenant):
    site_id = api.create_site()
    with app.app_context():
        ids = build_pipeline(tenant.account_id, site_id)
    auth.login()
    for path in ["/automation", f"/automation?site_id={site_id}", f"/planner/keywords?site_id={site_id}",
                 "/planner/clusters", "/planner/ideas", "/writer/tasks", "/writer/content",
                 f"/writer/content/{ids['content']}", "/writer/images", "/settings", "/sites/new",
                 f"/automation/panel?site_id={site_id}", f"/automation/pipeline?site_id={site_id}",
                 f"/automation/processing?site_id={site_id}", f"/automation/log?site_id={site_id}",
                 f"/automation/history?site_id={site_id}"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.data.decode()[-3000:])
    r = client.post(f"/automation/run_now?site_id={site_id}")
    assert r.status_code == 303, r.data
    r = client.get(f"/automation?site_id={site_id}")
    assert r.status_code == 200
    print(r.data.decode()[:200])
