"""Webhooks against a local receiver on 127.0.0.1 that fails the first attempts (never any other host)."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from caixiao.core import outbox
from caixiao.core.errors import ValidationFailed
from caixiao.notifications import webhooks
from caixiao.notifications.models import SendStatus, WebhookDelivery, WebhookSubscription
from caixiao.sales.tests.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)  # sending happens outside any transaction

SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """An HTTP server in a thread: answers 500 to the first ``fail_first`` requests, then 200."""

    def __init__(self, fail_first=2, reply=b'{"ok": true}'):
        self.requests: list[dict] = []
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                failing = len(receiver.requests) <= fail_first
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"boom" if failing else reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def due_now():
    WebhookDelivery.objects.filter(status=SendStatus.PENDING).update(next_attempt_at=timezone.now())


def subscribe(url, admin_user, **data):
    data = {"name": "ERP", "event_types": ["sales.order.*"], "url": url, "secret": SECRET, **data}
    return webhooks.create_subscription(data=data, actor=admin_user)


def confirm_an_order(customer, warehouse, product, stock, rep):
    stock(product, 5)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    outbox.process_due()
    return order


def test_signed_delivery_is_retried_until_the_receiver_accepts_it(
        admin_user, customer, warehouse, product, stock, rep):
    with Receiver(fail_first=2) as receiver:
        sub = subscribe(receiver.url, admin_user, event_types=["sales.order.confirmed"])
        order = confirm_an_order(customer, warehouse, product, stock, rep)
        delivery = WebhookDelivery.objects.get(subscription=sub, event__type="sales.order.confirmed")
        assert webhooks.send_due() == 0  # 500
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at > timezone.now() and delivery.response_excerpt == "boom"
        due_now()
        webhooks.send_due()  # 500 again
        due_now()
        assert webhooks.send_due() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 3, 200)
        assert delivery.response_ms is not None and delivery.finished_at is not None

    last = receiver.requests[-1]
    headers, body = last["headers"], last["body"]
    expected = hmac.new(SECRET.encode(), headers["X-Caixiao-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-Caixiao-Signature"] == f"sha256={expected}"
    assert headers["X-Caixiao-Event"] == "sales.order.confirmed"
    assert headers["X-Caixiao-Delivery"] == str(delivery.pk)
    payload = json.loads(body)
    assert payload["type"] == "sales.order.confirmed" and payload["payload"]["order_id"] == order.pk


def test_gives_up_after_the_last_attempt_and_a_replay_is_a_new_delivery(
        admin_user, customer, warehouse, product, stock, rep, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with Receiver(fail_first=2) as receiver:
        subscribe(receiver.url, admin_user, event_types=["sales.order.confirmed"])
        confirm_an_order(customer, warehouse, product, stock, rep)
        webhooks.send_due()
        due_now()
        webhooks.send_due()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("failed", 2)
        due_now()
        assert webhooks.send_due() == 0  # nothing more to try

        replay = webhooks.replay_delivery(delivery_id=delivery.pk, actor=admin_user)
        assert webhooks.send_due() == 1
    replay.refresh_from_db()
    assert replay.replay_of == delivery and replay.status == "sent"
    assert len(receiver.requests) == 3


def test_robot_formats(admin_user, customer, warehouse, product, stock, rep):
    with Receiver(fail_first=0, reply=b'{"errcode": 0, "errmsg": "ok"}') as receiver:
        subscribe(receiver.url, admin_user, name="DingTalk", format="dingtalk", event_types=["sales.order.confirmed"])
        subscribe(receiver.url, admin_user, name="WeCom", format="wecom", event_types=["sales.order.confirmed"])
        confirm_an_order(customer, warehouse, product, stock, rep)
        assert webhooks.send_due() == 2
    bodies = {r["path"].split("?")[0] + ("?signed" if "sign=" in r["path"] else ""): json.loads(r["body"])
              for r in receiver.requests}
    ding = bodies["/hook?signed"]
    assert ding["msgtype"] == "markdown" and "sales.order.confirmed" in ding["markdown"]["title"]
    assert "order_id" in ding["markdown"]["text"]
    wecom = bodies["/hook"]
    assert wecom["msgtype"] == "markdown" and "sales.order.confirmed" in wecom["markdown"]["content"]


def test_robot_error_code_counts_as_a_failure(admin_user, customer, warehouse, product, stock, rep):
    with Receiver(fail_first=0, reply=b'{"errcode": 310000, "errmsg": "sign not match"}') as receiver:
        subscribe(receiver.url, admin_user, format="dingtalk", event_types=["sales.order.confirmed"])
        confirm_an_order(customer, warehouse, product, stock, rep)
        assert webhooks.send_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.error == "errcode 310000"


def test_send_test_event_reaches_only_that_subscription(admin_user):
    with Receiver(fail_first=0) as receiver:
        sub = subscribe(receiver.url, admin_user, event_types=["*"])
        other = subscribe(receiver.url, admin_user, name="other", event_types=["*"])
        delivery = webhooks.send_test_event(subscription_id=sub.pk, actor=admin_user)
        outbox.process_due()
        assert webhooks.send_due() == 1
    assert WebhookDelivery.objects.filter(subscription=other).count() == 0
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert json.loads(receiver.requests[0]["body"])["type"] == "notifications.webhook.test_requested"


def test_unreachable_receiver_is_logged_as_an_error(admin_user, customer, warehouse, product, stock, rep):
    with Receiver() as receiver:
        url = receiver.url
    subscribe(url, admin_user, event_types=["sales.order.confirmed"])  # the server is gone now
    confirm_an_order(customer, warehouse, product, stock, rep)
    assert webhooks.send_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None and delivery.error


def test_patterns_choose_the_events(admin_user, customer, warehouse, product, stock, rep):
    subscribe("http://127.0.0.1:9/hook", admin_user, event_types=["sales.order.*"])
    confirm_an_order(customer, warehouse, product, stock, rep)
    outbox.process_due()  # a replayed dispatch adds nothing
    assert sorted(WebhookDelivery.objects.values_list("event__type", flat=True)) == [
        "sales.order.confirmed", "sales.order.created"]


def test_inactive_subscriptions_get_nothing(admin_user, customer, warehouse, product, stock, rep):
    sub = subscribe("http://127.0.0.1:9/hook", admin_user)
    webhooks.set_subscription_active(subscription_id=sub.pk, active=False, actor=admin_user)
    confirm_an_order(customer, warehouse, product, stock, rep)
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"url": "ftp://127.0.0.1/x"}, "url"),
    ({"url": "file:///etc/passwd"}, "url"),
    ({"url": "http://no-such-host.invalid/hook"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"secret": "short"}, "secret"),
    ({"event_types": ["sales.order.nonsense"]}, "event_types"),
    ({"event_types": []}, "event_types"),
    ({"name": ""}, "name"),
    ({"format": "slack"}, "format"),
])
def test_bad_subscriptions_are_rejected_and_nothing_is_saved(admin_user, data, field):
    with pytest.raises(ValidationFailed) as err:
        subscribe(data.pop("url", "http://127.0.0.1:9/hook"), admin_user, **data)
    assert field in err.value.fields and err.value.fields[field][0]
    assert WebhookSubscription.objects.count() == 0


def test_blank_secret_is_generated(admin_user):
    sub = subscribe("http://127.0.0.1:9/hook", admin_user, secret="")
    assert len(sub.secret) >= 32
