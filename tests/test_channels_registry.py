"""The adapter registry: built-in names, entry points, open_channel reading workbench.toml, clear errors."""

from __future__ import annotations

import subprocess
import sys

import helpers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import http_provider, smtp_server

import workbench.channels as channels
from workbench.channels import (
    ChannelAdapter,
    ChannelContext,
    Outcome,
    OutgoingMessage,
    SendResult,
    adapter_class,
    adapter_names,
    open_channel,
    register_adapter,
)
from workbench.channels.registry import BUILTIN_ADAPTERS, _registered
from workbench.errors import InputError, UnknownNameError
from workbench.store import Store

BUILTINS = ["outbox", "push_fcm", "sms_http", "smtp", "webhook"]


def configure(store: Store, toml: str) -> Store:
    """Replace the project's [channels.*] sections with ``toml`` and reopen it."""
    helpers.configure(store.path, toml, replace=("channels",))
    return Store.open(store.path)


@pytest.fixture
def store(tmp_path):
    return Store.create(tmp_path / "project")


def test_builtins_are_registered():
    assert set(BUILTINS) <= set(adapter_names())
    for name in BUILTINS:
        cls = adapter_class(name)
        assert issubclass(cls, ChannelAdapter) and cls.name == name


def test_an_unknown_adapter_name_lists_the_registered_ones():
    with pytest.raises(UnknownNameError) as err:
        adapter_class("smpt")
    message = str(err.value)
    assert "did you mean smtp" in message
    for name in BUILTINS:
        assert name in message


def test_the_front_door_is_cheap_to_import():
    code = "import sys, workbench.channels; print(sorted(m for m in sys.modules if m.startswith('workbench.channels.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "smtp" not in out and "sms_http" not in out and "webhook" not in out


def test_every_channel_defaults_to_the_outbox(store):
    for channel in ("email", "SMS", "push", "GCM", "voice", "custom"):
        with open_channel(store, channel) as adapter:
            assert adapter.name == "outbox"
            assert adapter.context.outbox_dir == store.outbox_dir


def test_the_architecture_example_works_as_written(store, tmp_path):
    with smtp_server() as sink, http_provider() as provider:
        store = configure(
            store,
            f"""
            [channels.email]
            adapter = "smtp"                      # or "outbox" (the default)
            host = "127.0.0.1"
            port = {sink.port}
            from = "Acme <news@acme.example>"
            connections = 4
            # username_env / password_env name environment variables; secrets never live in the file

            [channels.sms]
            adapter = "sms_http"
            base_url = "{provider.base_url}"
            account_env = "SMS_ACCOUNT"
            token_env = "SMS_TOKEN"
            from = "+12065550100"
            """,
        )
        env = {"SMS_ACCOUNT": "ACtest", "SMS_TOKEN": "sms-token"}
        with open_channel(store, "EMAIL", run="r1", environ=env) as email:
            assert (email.name, email.port, email.connections, email.sender) == (
                "smtp",
                sink.port,
                4,
                "news@acme.example",
            )
            mime = b"From: Acme <news@acme.example>\r\nTo: a@x.example\r\nMessage-ID: <m1@wb>\r\n\r\nhi\r\n"
            [sent] = email.send([OutgoingMessage("m1", "EMAIL", "a@x.example", mime=mime)])
        with open_channel(store, "sms", environ=env) as sms:
            [texted] = sms.send([OutgoingMessage("s1", "SMS", "+12065550123", parts={"Body": "hi"})])
        assert sent.outcome is Outcome.ACCEPTED and sink.message_ids() == ["<m1@wb>"]
        assert texted.outcome is Outcome.ACCEPTED and provider.of_kind("sms", 201)


def test_pinpoint_push_channel_types_read_the_push_section(store):
    store = configure(
        store,
        """
        [channels.push]
        adapter = "push_fcm"
        project_id = "demo"
        token_env = "FCM_TOKEN"
        """,
    )
    for channel in ("PUSH", "GCM", "APNS", "apns_sandbox"):
        with open_channel(store, channel, environ={"FCM_TOKEN": "t"}) as adapter:
            assert adapter.name == "push_fcm"


def test_an_adapter_that_cannot_carry_the_channel_is_refused(store):
    store = configure(store, '[channels.email]\nadapter = "sms_http"\n')
    with pytest.raises(InputError) as err:
        open_channel(store, "email")
    assert err.value.field == "channels.email.adapter"
    assert err.value.file.endswith("workbench.toml")
    assert "cannot carry EMAIL" in str(err.value) and "smtp" in str(err.value)


def test_an_unknown_adapter_in_the_settings_names_the_field_and_the_registered_ones(store):
    store = configure(store, '[channels.sms]\nadapter = "twilio"\n')
    with pytest.raises(UnknownNameError) as err:
        open_channel(store, "sms")
    assert "channels.sms.adapter" in str(err.value)
    assert all(name in str(err.value) for name in BUILTINS)


def test_an_unknown_channel_lists_the_channels(store):
    with pytest.raises(UnknownNameError) as err:
        open_channel(store, "emial")
    assert "did you mean email" in str(err.value)
    assert "sms" in str(err.value) and "push" in str(err.value)


def test_a_secret_variable_that_is_not_set_names_the_setting_and_the_variable(store):
    store = configure(
        store,
        """
        [channels.sms]
        adapter = "sms_http"
        account_env = "SMS_ACCOUNT"
        token_env = "SMS_TOKEN"
        from = "+12065550100"
        """,
    )
    with pytest.raises(InputError) as err:
        open_channel(store, "sms", environ={"SMS_ACCOUNT": "AC1"})
    assert err.value.field == "channels.sms.token_env"
    assert "SMS_TOKEN" in str(err.value) and "not set" in str(err.value)
    assert str(err.value).startswith(str(store.path / "workbench.toml"))


def test_a_misspelt_setting_is_refused_with_a_suggestion(store):
    store = configure(store, '[channels.email]\nadapter = "smtp"\nhost = "h"\nstartls = true\n')
    with pytest.raises(InputError) as err:
        open_channel(store, "email")
    assert err.value.field == "channels.email.startls" and "did you mean starttls" in str(err.value)


class EchoAdapter(ChannelAdapter):
    """A third-party adapter: accepts everything."""

    name = "echo"
    channels = frozenset({"CUSTOM", "SMS"})

    def send(self, messages):
        return [
            SendResult(m.send_key, Outcome.ACCEPTED, provider_message_id=f"echo-{m.send_key}")
            for m in messages
        ]


def test_third_party_adapters_come_from_entry_points(store, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "wb_echo-1.0.dist-info").mkdir(parents=True)
    (site / "wb_echo-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: wb-echo\nVersion: 1.0\n"
    )
    (site / "wb_echo-1.0.dist-info" / "entry_points.txt").write_text(
        "[workbench.channels]\necho = wb_echo:Echo\nsmtp = wb_echo:Echo\n"
    )
    (site / "wb_echo.py").write_text("from test_channels_registry import EchoAdapter as Echo\n")
    monkeypatch.syspath_prepend(str(site))
    assert "echo" in adapter_names()
    assert adapter_class("echo") is EchoAdapter
    assert adapter_class("smtp") is not EchoAdapter  # an installed package cannot replace a built-in
    store = configure(store, '[channels.slack]\nadapter = "echo"\n')
    with open_channel(store, "slack") as adapter:
        [result] = adapter.send([OutgoingMessage("k", "CUSTOM", "#general")])
    assert result.provider_message_id == "echo-k"


def test_register_adapter_at_run_time(store):
    register_adapter("echo_rt", EchoAdapter)
    try:
        assert "echo_rt" in adapter_names()
        store = configure(store, '[channels.sms]\nadapter = "echo_rt"\n')
        with open_channel(store, "sms") as adapter:
            assert isinstance(adapter, EchoAdapter)
        with pytest.raises(TypeError):
            register_adapter("bad", dict)  # type: ignore[arg-type]
    finally:
        _registered.pop("echo_rt", None)


def test_the_front_door_exports_the_contract():
    for name in (
        "Outcome",
        "OutgoingMessage",
        "SendResult",
        "ChannelContext",
        "ChannelAdapter",
        "open_channel",
    ):
        assert name in channels.__all__


SETTING_KEYS = st.sampled_from(
    [
        "host",
        "port",
        "from",
        "connections",
        "timeout",
        "starttls",
        "ssl",
        "username_env",
        "password_env",
        "base_url",
        "account_env",
        "token_env",
        "project_id",
        "url",
        "secret_env",
        "batch_size",
        "tls_verify",
        "ca_file",
        "bogus",
    ]
)
SETTING_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["SMS_TOKEN", "127.0.0.1", "a@b.example", "http://127.0.0.1:9"]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    adapter=st.sampled_from(sorted(BUILTIN_ADAPTERS)),
    config=st.dictionaries(SETTING_KEYS, SETTING_VALUES, max_size=6),
)
def test_any_settings_table_either_opens_or_names_what_is_wrong(tmp_path, adapter, config):
    """Fuzz: settings come from a user's file; every bad value ends in an InputError naming a setting."""
    config = {k: v for k, v in config.items() if v is not None}
    cls = adapter_class(adapter)
    try:
        instance = cls(config, ChannelContext(outbox_dir=tmp_path, environ={"SMS_TOKEN": "t"}))
    except InputError as err:
        assert err.field, err
    else:
        instance.close()
