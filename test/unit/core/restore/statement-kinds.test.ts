/**
 * The tables a dump statement works on, as the loader needs them to run builds early and foreign
 * keys and comments beside the builds of other tables.
 */
import { describe, expect, it } from 'vitest';
import { besideStatement, buildTable, copyTable } from '../../../../shared/core/restore/statement-kinds';

describe('statement kinds', () => {
  it('names the table of a COPY and of an index or key build, quoted names too', () => {
    expect(copyTable('COPY public.res_partner (id, name) FROM stdin;')).toBe('public.res_partner');
    expect(copyTable('COPY public."B b" (id) FROM stdin;')).toBe('public."B b"');
    expect(buildTable('CREATE UNIQUE INDEX x ON public.a USING btree (v);')).toBe('public.a');
    expect(buildTable('CREATE INDEX x ON ONLY public."B b" USING btree (id);')).toBe('public."B b"');
    expect(buildTable('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);')).toBe('public.a');
    expect(buildTable('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_v_uniq UNIQUE (v);')).toBe('public.a');
    expect(buildTable('ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_fk FOREIGN KEY (id) REFERENCES public.a(id);')).toBeUndefined();
    expect(buildTable('CREATE INDEX CONCURRENTLY x ON public.a (v);')).toBeUndefined();
  });

  it('names both tables of a foreign key, and the table of a comment on a constraint', () => {
    expect(besideStatement('ALTER TABLE ONLY public.sale_order\n    ADD CONSTRAINT sale_order_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES public.res_users(id) ON DELETE SET NULL;')).toEqual({
      kind: 'fk',
      tables: ['public.sale_order', 'public.res_users'],
    });
    expect(besideStatement('ALTER TABLE ONLY public."B b"\n    ADD CONSTRAINT k FOREIGN KEY (x, "y z") REFERENCES ONLY public.a (x, y);')).toEqual({ kind: 'fk', tables: ['public."B b"', 'public.a'] });
    expect(besideStatement("COMMENT ON CONSTRAINT res_users_login_key ON public.res_users IS 'Can''t have two users with the same login!';")).toEqual({ kind: 'comment', tables: ['public.res_users'] });
  });

  it('tells a comment, a foreign key or a late view whose tables it cannot read, and nothing else', () => {
    expect(besideStatement("COMMENT ON INDEX public.a_idx IS 'x';")).toEqual({ kind: 'comment', tables: undefined });
    expect(besideStatement("COMMENT ON CONSTRAINT d_check ON DOMAIN public.d IS 'x';")).toEqual({ kind: 'comment', tables: undefined });
    expect(besideStatement('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT k FOREIGN KEY (")") REFERENCES public.b(id);')).toEqual({ kind: 'fk', tables: undefined });
    expect(besideStatement('CREATE OR REPLACE VIEW public.report AS\n SELECT 1 AS id;')).toEqual({ kind: 'view', tables: undefined });
    expect(besideStatement('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);')).toBeUndefined();
    expect(besideStatement('CREATE TRIGGER t AFTER INSERT ON public.a FOR EACH ROW EXECUTE FUNCTION public.f();')).toBeUndefined();
    expect(besideStatement('REVOKE USAGE ON SCHEMA public FROM PUBLIC;')).toBeUndefined();
  });
});
