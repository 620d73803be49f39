// D1 counts every statement it runs, each one of a db.batch too, against its queries per
// invocation; the local D1 does not: this binding counts them for the tests.

/** env.DB behind a counter of the statements it runs (each of a batch counts). */
export function countingDb(db: D1Database) {
  let queries = 0;
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw')
          return (...args: unknown[]) => {
            queries++;
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    real.set(proxy, stmt);
    return proxy;
  };
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql));
      if (prop === 'batch')
        return (stmts: D1PreparedStatement[]) => {
          queries += stmts.length;
          return target.batch(stmts.map((s) => real.get(s) ?? s));
        };
      if (prop === 'exec') throw new Error('exec is not counted: the Worker does not use it');
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: counted, count: () => queries };
}

