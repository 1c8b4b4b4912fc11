#!/usr/bin/env python3
"""Crash loop for --data-dir (not run in CI): clients send and delete SQS messages as fast as
they can while the server is killed with SIGKILL at random moments; after every restart each
acknowledged message must be there and no acknowledged delete may come back. One more client
starts Step Functions executions (variables, a Parallel holding a Map and a Distributed Map
whose children each send a message, 1 s Waits, so some are
running at the kill): every acknowledged StartExecution must be there after the restart
(DescribeExecution), and after the last restart every one must end SUCCEEDED with the expected
output (resumed ones included). Each execution's first Task sends one SQS message naming it:
after the last restart each succeeded execution's message must be in that queue exactly once
(a kill between the send and its TaskSucceeded must not make the resumed execution send again),
and so must each Distributed Map child's message (`<execution name>/<item>`: a child killed
after its send resumes from its own history).

Usage: benches/crash-loop.py [--bin target/release/stepyard] [--rounds 20] [--clients 8]

A write counts as acknowledged when the client got its response. A request cut off by the
kill may or may not have happened, so it is allowed either way: an unacknowledged send may be
missing, an unacknowledged delete may have happened. The check reads the whole state through
GET /_stepyard/state (in-flight and delayed messages included).
Prints the rounds, acknowledged writes, and lost writes (must be 0); exits 1 if any was lost.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

import boto3
from botocore.config import Config

READY = re.compile(rb"stepyard ready on (http://\S+)")


def start(binary, data):
    proc = subprocess.Popen(
        [binary, "--port", "0", "--data-dir", data, "--log-level", "info"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, NO_COLOR="1"))
    for line in proc.stdout:
        match = READY.search(line)
        if match:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, match.group(1).decode()
    raise SystemExit("stepyard exited before it was ready (data dir %s)" % data)


def client(url):
    return boto3.session.Session().client(
        "sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10,
                      max_pool_connections=64))


def worker(url, queue_url, stop, ledger, lock, seed):
    rng = random.Random(seed)
    sqs = client(url)
    n = 0
    while not stop.is_set():
        body = f"{seed}-{n}"
        n += 1
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        except Exception:
            with lock:
                ledger["maybe_sent"].add(body)
            return
        with lock:
            ledger["sent"].add(body)
        if rng.random() < 0.5:
            try:
                got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=5,
                                          VisibilityTimeout=5)
            except Exception:
                return
            for m in got.get("Messages", []):
                with lock:
                    ledger["maybe_deleted"].add(m["Body"])
                try:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
                except Exception:
                    return
                with lock:
                    ledger["deleted"].add(m["Body"])


# Variables, a Parallel holding an inline Map, and Waits, so kills land inside all of them:
# after the last restart every execution must end SUCCEEDED with exactly OUTPUT (a resumed one
# keeps its variables, its finished iterations and branches, and continues the rest).
FLOW = json.dumps({"StartAt": "Remember", "States": {
    "Remember": {"Type": "Pass", "Assign": {"kept": "yes"}, "Next": "Say"},
    "Say": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "http://localhost/000000000000/said",
                           "MessageBody.$": "$$.Execution.Name"},
            "ResultPath": None, "Next": "Both"},
    "Both": {"Type": "Parallel", "Next": "Use", "Branches": [
        {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                "P": {"Type": "Pass", "Parameters": {"i.$": "$.i"}, "End": True}}}}}},
        {"StartAt": "W2", "States": {
            "W2": {"Type": "Wait", "Seconds": 1, "Next": "B"},
            "B": {"Type": "Pass", "Result": "b", "End": True}}},
        # A Distributed Map whose child executions each send one message, then wait: a kill
        # inside a child resumes it from its own history (its message is not sent again).
        {"StartAt": "Fan", "States": {"Fan": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Tell", "States": {
                    "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                             "Parameters": {"QueueUrl": "http://localhost/000000000000/child-said",
                                            "MessageBody.$": "States.Format('{}/{}', $$.Execution.Name, $.i)"},
                             "ResultPath": None, "Next": "W3"},
                    "W3": {"Type": "Wait", "Seconds": 1, "Next": "C"},
                    "C": {"Type": "Pass", "Parameters": {"c.$": "$.i"}, "End": True}}}}}}]},
    "Use": {"Type": "Pass", "Parameters": {"v.$": "$kept", "r.$": "$"}, "End": True}}})
INPUT = json.dumps({"items": [{"i": 0}, {"i": 1}, {"i": 2}]})
OUTPUT = {"v": "yes", "r": [[{"i": 0}, {"i": 1}, {"i": 2}], "b", [{"c": 0}, {"c": 1}, {"c": 2}]]}


def sfn_client(url):
    return boto3.session.Session().client(
        "stepfunctions", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10))


def starter(url, machine, stop, ledger, lock, seed):
    sfn = sfn_client(url)
    n = 0
    while not stop.is_set():
        n += 1
        try:
            arn = sfn.start_execution(stateMachineArn=machine, name=f"{seed}-{n}",
                                      input=INPUT)["executionArn"]
        except Exception:
            return
        with lock:
            ledger["started"].add(arn)


def missing_executions(url, arns):
    sfn = sfn_client(url)
    missing = 0
    for arn in arns:
        try:
            sfn.describe_execution(executionArn=arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            missing += 1
    return missing


def wrong_outcomes(url, arns, seconds=60):
    """Waits for every execution to end; returns how many did not succeed with OUTPUT."""
    sfn = sfn_client(url)
    deadline = time.monotonic() + seconds
    wrong = 0
    for arn in arns:
        while True:
            try:
                done = sfn.describe_execution(executionArn=arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                break  # counted as lost
            if done["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if done["status"] != "SUCCEEDED" or json.loads(done.get("output", "null")) != OUTPUT:
            wrong += 1
            print(f"  {arn}: {done['status']} {done.get('output') or done.get('error')}")
    return wrong


def stored_bodies(url, queue="crash"):
    with urllib.request.urlopen(url + "/_stepyard/state", timeout=60) as resp:
        document = json.load(resp)
    return [m["message"]["body"]
            for q in document["sqs"]["queues"] if q["name"] == queue
            for m in q["messages"]]


def said_wrong(url, arns):
    """How many messages were sent twice, and how many never: each execution's own (queue
    `said`) and each of its Distributed Map children's (`child-said`, `<name>/<item>`)."""
    said = {}
    for body in stored_bodies(url, "said") + stored_bodies(url, "child-said"):
        said[body] = said.get(body, 0) + 1
    twice = sum(1 for count in said.values() if count > 1)
    names = [arn.rsplit(":", 1)[1] for arn in arns]
    expected = names + [f"{name}/{i}" for name in names for i in range(3)]
    never = sum(1 for body in expected if body not in said)
    return twice, never


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/stepyard")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--max-run", type=float, default=2.0, help="longest time before a kill (s)")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="stepyard-crash-")
    ledger = {"sent": set(), "maybe_sent": set(), "deleted": set(), "maybe_deleted": set(),
              "started": set()}
    lost_executions = 0
    lock = threading.Lock()
    lost = resurrected = 0
    acked_before = 0
    try:
        for round_no in range(1, args.rounds + 1):
            proc, url = start(args.bin, data)
            t0 = time.monotonic()
            present = set(stored_bodies(url))
            restart_s = time.monotonic() - t0
            with lock:
                missing = ledger["sent"] - ledger["maybe_deleted"] - present
                back = ledger["deleted"] & present
            lost += len(missing)
            resurrected += len(back)
            gone = missing_executions(url, sorted(ledger["started"]))
            lost_executions += gone
            acked = len(ledger["sent"]) + len(ledger["deleted"])
            print(f"round {round_no}: {len(present)} stored, {acked - acked_before} writes "
                  f"acknowledged last round, lost {len(missing)}, deleted-but-back {len(back)}, "
                  f"executions lost {gone} of {len(ledger['started'])}")
            acked_before = acked
            queue_url = client(url).create_queue(QueueName="crash")["QueueUrl"]
            client(url).create_queue(QueueName="said")
            client(url).create_queue(QueueName="child-said")
            stop = threading.Event()
            threads = [threading.Thread(target=worker,
                                        args=(url, queue_url, stop, ledger, lock, f"r{round_no}c{i}"))
                       for i in range(args.clients)]
            sfn = sfn_client(url)
            try:
                machine = sfn.create_state_machine(name="crash-flow", definition=FLOW,
                                                   roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
            except sfn.exceptions.StateMachineAlreadyExists:
                machine = "arn:aws:states:us-east-1:000000000000:stateMachine:crash-flow"
            threads.append(threading.Thread(target=starter,
                                            args=(url, machine, stop, ledger, lock, f"r{round_no}")))
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.2, args.max_run))
            proc.kill()  # SIGKILL mid-traffic
            proc.wait()
            stop.set()
            for t in threads:
                t.join()
        proc, url = start(args.bin, data)
        present = set(stored_bodies(url))
        missing = ledger["sent"] - ledger["maybe_deleted"] - present
        back = ledger["deleted"] & present
        lost += len(missing)
        resurrected += len(back)
        lost_executions += missing_executions(url, sorted(ledger["started"]))
        wrong = wrong_outcomes(url, sorted(ledger["started"]))
        twice, never = said_wrong(url, sorted(ledger["started"]))
        proc.kill()
        proc.wait()
        acked = len(ledger["sent"]) + len(ledger["deleted"])
        print(f"rounds {args.rounds}, acknowledged writes {acked} "
              f"({len(ledger['sent'])} sends, {len(ledger['deleted'])} deletes), "
              f"lost {lost}, deleted messages back {resurrected}; "
              f"acknowledged executions {len(ledger['started'])}, lost {lost_executions}, "
              f"ended wrong {wrong}; messages sent twice {twice}, never sent {never}")
        return 1 if lost or resurrected or lost_executions or wrong or twice or never else 0
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
