// Loaded with `node --import` into a process the ack bench spawns (`--cpu-prof` is refused in
// NODE_OPTIONS): records a V8 CPU profile and writes it to $BENCH_CPU_PROF_DIR on exit, for
// Chrome DevTools or speedscope.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // An in-thread inspector session answers synchronously, so this completes before exit.
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `bot-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
