"""Writes bench/payloads/claude-code-request.json (run from the repo root): a Claude Code turn of
about 113 KB (16 tools with long descriptions, a history of tool calls with file-sized
results), grown from a fixture exactly as providers/benches/hot_paths.rs grows it."""
import json
c = json.load(open('tests/fixtures/deepseek/messages_claude_code_tools_nonstream/case.json'))
body = c['request']['body']
tools = body['tools']
grown = []
for i in range(16):
    t = json.loads(json.dumps(tools[i % len(tools)]))
    t['name'] = f'Tool{i}'
    t['description'] = "Reads, edits or runs what the task needs; see the usage notes. " * 24
    grown.append(t)
body['tools'] = grown
msgs = body['messages']
first, turn = msgs[0], msgs[1:3]
history = [first]
file = 'fn main() {\n    println!("hello, world");\n}\n' * 60
n = 0
while len(json.dumps(history, separators=(',', ':'))) < 80000:
    call = json.loads(json.dumps(turn[0])); result = json.loads(json.dumps(turn[1]))
    tid = f'toolu_{n:04}'
    for b in call['content']:
        if b['type'] == 'tool_use': b['id'] = tid
    for b in result['content']:
        if b['type'] == 'tool_result': b['tool_use_id'] = tid; b['content'] = file
    history += [call, result]; n += 1
body['messages'] = history
body['stream'] = False
out = json.dumps(body, separators=(',', ':'))
open('bench/payloads/claude-code-request.json', 'w').write(out)
print(len(out), body['model'])
